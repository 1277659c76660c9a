// Talking to the gpmb API from the browser: the session cookie does the auth.
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** JSON request to the API; throws ApiError with the envelope's code and a translated message. */
export async function api(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const code = data?.error?.code || 'http_' + res.status;
    const translated = t(`error.${code}`, data?.error?.details || {});
    const message = translated !== `error.${code}` ? translated : (data?.error?.message || res.statusText);
    throw new ApiError(res.status, code, message, data?.error?.details);
  }
  return data;
}

/** The logged-in user (`{username, role, …}`) or null. */
export async function me() {
  try {
    return await api('/api/v1/auth/me');
  } catch (err) {
    if (err.status === 401) return null;
    throw err;
  }
}

export const login = (username, password) => api('/api/v1/auth/login', { method: 'POST', body: { username, password } });
export const logout = () => api('/api/v1/auth/logout', { method: 'POST' });
/** Changes one's own password; every other session of the user ends. */
export const changePassword = (current_password, new_password) =>
  api('/api/v1/me/password', { method: 'POST', body: { current_password, new_password } });

/** Walks a cursor-paginated list to the end (use for bounded lists only). */
export async function allPages(path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}
