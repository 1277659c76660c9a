// Date and time fields the Vietnamese way whatever the browser's locale: dd/mm/yyyy and 24-hour
// HH:mm, typed as text (a native date input shows mm/dd/yyyy in an English browser). Values go
// to the API as `YYYY-MM-DD` and RFC 3339 in Vietnam time (+07:00).
import { t } from './i18n.js';

const pad = (n) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` of today in Vietnam time. */
export function todayIso() {
  const now = new Date(Date.now() + 7 * 3600 * 1000);
  return now.toISOString().slice(0, 10);
}

/** dd/mm/yyyy for `YYYY-MM-DD` (or '' for nothing). */
export function isoToText(iso) {
  if (!iso) return '';
  const [y, m, d] = iso.slice(0, 10).split('-');
  return `${d}/${m}/${y}`;
}

/** `YYYY-MM-DD` for dd/mm/yyyy text, or null when it is not a real date. */
export function textToIso(text) {
  const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text || '');
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${y}-${pad(mo)}-${pad(d)}`;
}

/** `HH:mm` (24-hour) text checked, or null. */
export function textToTime(text) {
  const m = /^\s*(\d{1,2}):(\d{2})\s*$/.exec(text || '');
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return null;
  return `${pad(m[1])}:${m[2]}`;
}

/** An `<input>` for a date typed dd/mm/yyyy; `name` is the API field it fills. */
export function dateInput({ name, value = '', required = false, id } = {}) {
  const input = Object.assign(document.createElement('input'), {
    type: 'text', name, inputMode: 'numeric', autocomplete: 'off', placeholder: t('date.placeholder'),
    pattern: '\\d{1,2}/\\d{1,2}/\\d{4}', required, value: isoToText(value), size: 10,
  });
  if (id) input.id = id;
  input.dataset.kind = 'date';
  input.title = t('date.hint');
  return input;
}

/** An `<input>` for a 24-hour time typed HH:mm. */
export function timeInput({ name, value = '', required = false, id } = {}) {
  const input = Object.assign(document.createElement('input'), {
    type: 'text', name, inputMode: 'numeric', autocomplete: 'off', placeholder: 'HH:mm',
    pattern: '\\d{1,2}:\\d{2}', required, value, size: 5,
  });
  if (id) input.id = id;
  input.dataset.kind = 'time';
  input.title = t('time.hint');
  return input;
}

/** Error thrown for a badly typed date; `showFormError` puts it beside the field. */
export class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.details = { field };
  }
}

/**
 * Turns the dd/mm/yyyy fields of `form` (inputs made by `dateInput`) into `YYYY-MM-DD` in
 * `values`; throws a FieldError naming the first field that is not a real date.
 */
export function readDates(form, values) {
  for (const input of form.querySelectorAll('input[data-kind="date"]')) {
    if (!input.value.trim()) {
      values[input.name] = null;
      continue;
    }
    const iso = textToIso(input.value);
    if (!iso) throw new FieldError(input.name, t('date.invalid'));
    values[input.name] = iso;
  }
  for (const input of form.querySelectorAll('input[data-kind="time"]')) {
    if (!input.value.trim()) {
      values[input.name] = null;
      continue;
    }
    const time = textToTime(input.value);
    if (!time) throw new FieldError(input.name, t('time.invalid'));
    values[input.name] = time;
  }
  return values;
}

/** RFC 3339 in Vietnam time for a `YYYY-MM-DD` date and an `HH:mm` time. */
export const vnDateTime = (isoDate, time = '00:00') => `${isoDate}T${time}:00+07:00`;
