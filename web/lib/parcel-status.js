// Parcel status control, shared by the household case file and (later) the map panel:
// pick the new status, optional reason, save with `If-Match` (the parcel's version, read when
// the control is drawn). A stale version says who changed the parcel and when, and offers to
// reload it while keeping the status picked. Pages using it load the `parcel-status` namespace.
import { api } from './api.js';
import { t, fmtDateTime } from './i18n.js';
import { h } from './shell.js';

export const PARCEL_STATUSES = ['not_contacted', 'contacted', 'negotiating', 'agreed', 'paid', 'handed_over', 'objecting', 'in_complaint'];

/** PATCH a parcel's status with `If-Match`; resolves to the updated parcel. */
async function patchStatus(id, version, status, reason) {
  const res = await fetch(`/api/v1/parcels/${id}`, {
    method: 'PATCH',
    credentials: 'same-origin',
    headers: { accept: 'application/json', 'content-type': 'application/json', 'if-match': `"${version}"` },
    body: JSON.stringify(reason ? { status, reason } : { status }),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data?.error?.message || res.statusText);
    err.status = res.status;
    err.code = data?.error?.code;
    err.details = data?.error?.details || {};
    throw err;
  }
  return data;
}

/**
 * A form that changes the status of parcel `id`. `onSaved(parcel)` runs after a change.
 * Returns the element (a <form class="parcel-status">).
 */
export function parcelStatusControl(id, { onSaved = () => {}, label = null } = {}) {
  const select = h('select', { name: 'status', id: `parcel-status-${id}` },
    ...PARCEL_STATUSES.map((s) => h('option', { value: s, textContent: t(`status.${s}`) })));
  const reason = h('input', { name: 'reason', id: `parcel-reason-${id}`, maxLength: 500, autocomplete: 'off' });
  const save = h('button', { type: 'submit', textContent: t('parcel_status.save') });
  const message = h('div', { className: 'parcel-status-message', role: 'status' });
  const form = h('form', { className: 'parcel-status hh-form' },
    h('div', { className: 'row' },
      h('label', { htmlFor: select.id }, h('span', { textContent: label || t('parcel_status.label') }), ' ', select),
      h('label', { htmlFor: reason.id }, h('span', { textContent: t('parcel_status.reason') }), ' ', reason),
      h('label', {}, h('span', { innerHTML: '&nbsp;' }), save)),
    message);
  form.dataset.parcel = String(id);
  let version = null;

  async function load(keepChoice) {
    const parcel = await api(`/api/v1/parcels/${id}`);
    version = parcel.version;
    if (!keepChoice) select.value = parcel.status;
    form.dataset.version = String(version);
    form.dataset.current = parcel.status;
    return parcel;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    message.replaceChildren();
    message.className = 'parcel-status-message';
    try {
      if (version === null) await load(true);
      if (select.value === form.dataset.current) {
        message.textContent = t('parcel_status.unchanged');
        return;
      }
      const parcel = await patchStatus(id, version, select.value, reason.value.trim());
      version = parcel.version;
      form.dataset.version = String(version);
      form.dataset.current = parcel.status;
      message.className = 'parcel-status-message ok';
      message.textContent = t('parcel_status.saved', { status: t(`status.${parcel.status}`) });
      reason.value = '';
      await onSaved(parcel);
    } catch (err) {
      if (err.code === 'version_conflict') {
        const d = err.details || {};
        const reload = h('button', { type: 'button', className: 'link reload', textContent: t('parcel_status.reload') });
        reload.addEventListener('click', async () => {
          const parcel = await load(true);
          message.className = 'parcel-status-message';
          message.textContent = t('parcel_status.reloaded', { status: t(`status.${parcel.status}`) });
        });
        message.className = 'parcel-status-message conflict';
        message.setAttribute('role', 'alert');
        message.replaceChildren(
          h('span', { textContent: d.changed_by
            ? t('parcel_status.conflict_by', { who: d.changed_by, when: fmtDateTime(d.changed_at) })
            : t('parcel_status.conflict') }), ' ', reload);
      } else {
        message.className = 'parcel-status-message error';
        message.setAttribute('role', 'alert');
        const key = `error.${err.code}`;
        message.textContent = t(key, err.details || {}) !== key ? t(key, err.details || {}) : err.message;
      }
    } finally {
      save.disabled = false;
    }
  });
  load(false).catch((err) => { message.textContent = err.message; });
  return form;
}
