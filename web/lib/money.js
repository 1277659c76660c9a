// Money is integer đồng (issue 17): `1.234.567 đ` in Vietnamese, `1,234,567 VND` in English.

/** Whole đồng grouped by thousands, with the unit of `lang` ('vi' by default). */
export function formatMoney(n, lang = 'vi') {
  const v = Math.round(Number(n) || 0);
  const digits = String(Math.abs(v)).replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'en' ? ',' : '.');
  return `${v < 0 ? '-' : ''}${digits} ${lang === 'en' ? 'VND' : 'đ'}`;
}
