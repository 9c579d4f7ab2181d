/**
 * Every string in the structured results came from the model, which read attacker-controllable
 * contract text. It is rendered only through these helpers: one line, markdown and HTML
 * metacharacters escaped, so an answer cannot add headings, links, images or raw HTML to the memo.
 */
export function inline(value: string | null | undefined, fallback = 'Not stated.'): string {
  const text = (value ?? '').replace(/\s+/g, ' ').trim();
  if (text === '') return fallback;
  return text.replace(/[\\`*_[\]<>#|~!]/g, '\\$&');
}

export function cite(citations: readonly string[]): string {
  return citations.length === 0 ? '' : ` (${citations.join(', ')})`;
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function money(amount: number | null, currency: string | null): string {
  if (amount === null) return 'not determinable';
  const code = currency && /^[A-Za-z]{3}$/.test(currency.trim()) ? currency.trim().toUpperCase() : null;
  return code ? `${code} ${numberFormat.format(amount)}` : numberFormat.format(amount);
}

export function label<T extends string>(labels: Record<T, string>, value: T): string {
  return labels[value];
}
