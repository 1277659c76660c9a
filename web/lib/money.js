// Money is integer đồng everywhere in gpmb (issue 17): no floating point, no rounding here.
// One formatter for every page: `1.234.567 đ` in Vietnamese (dots group the thousands, as
// Vietnamese documents print it), `1,234,567 VND` in English. Pages keep an amount on one line
// with CSS (`.money { white-space: nowrap }`), so the text holds a plain space.
import { lang } from './i18n.js';

const MINUS = '−';

/** Digits of a whole number grouped by three with `sep`. */
function group(digits, sep) {
  let out = '';
  for (let i = 0; i < digits.length; i += 1) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += sep;
    out += digits[i];
  }
  return out;
}

/**
 * `1.234.567 đ` (vi) or `1,234,567 VND` (en) for an amount of đồng. `signed`: a `+` before a
 * positive amount too (differences between plan versions). Negative amounts take a real minus
 * sign. Null or undefined gives ''.
 */
export function fmtMoney(value, { signed = false } = {}) {
  if (value === null || value === undefined || value === '') return '';
  const n = Math.trunc(Number(value));
  if (!Number.isFinite(n)) return '';
  const vi = lang() === 'vi';
  const digits = group(String(Math.abs(n)), vi ? '.' : ',');
  const sign = n < 0 ? MINUS : (signed && n > 0 ? '+' : '');
  return vi ? `${sign}${digits} đ` : `${sign}${digits} VND`;
}

/**
 * A whole number of đồng typed by a person: `1.234.567`, `1,234,567`, `1 234 567 đ` or
 * `1234567`. Null when it is not a whole, non-negative number (decimals are refused, not
 * rounded: money is counted in whole đồng).
 */
export function parseMoney(text) {
  const s = String(text ?? '').trim().replace(/\s*(đ|đồng|vnd|₫)$/i, '').replace(/[\s\u00a0]/g, '');
  if (!s) return null;
  if (!/^\d{1,3}([.,]\d{3})*$|^\d+$/.test(s)) return null;
  const n = Number(s.replace(/[.,]/g, ''));
  return Number.isSafeInteger(n) ? n : null;
}

/** An amount typed back into a form field: digits grouped the way the user's language does. */
export const moneyInputValue = (value) => (value === null || value === undefined ? '' : group(String(Math.trunc(Math.abs(Number(value)))), lang() === 'vi' ? '.' : ','));
