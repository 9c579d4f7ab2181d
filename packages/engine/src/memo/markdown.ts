import type { SourceDocument } from '../documents/inventory';
import { cleanSectionId, quoteFound, type Source } from '../steps/evidence';
import { citationLabel } from '../steps/sources';

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

/**
 * " (MSA §4.3 (S17); …)" for a finding's evidence; a quote that is not in its section or an id
 * that names no section is marked, never dropped. `required` marks a key finding citing nothing.
 */
export type Citer = (evidence: readonly { sectionId: string; quote: string }[], required?: boolean) => string;

export function citer(sources: ReadonlyMap<string, Source>, documents: SourceDocument[]): Citer {
  return (evidence, required = false) => {
    if (evidence.length === 0) return required ? ' *(no evidence cited)*' : '';
    const seen = new Set<string>();
    const parts: string[] = [];
    for (const e of evidence) {
      const id = cleanSectionId(e.sectionId);
      const source = sources.get(id);
      const mark = !source
        ? ' — not a section of the documents'
        : quoteFound(e.quote, source.text)
          ? ''
          : ' — quote not found in the section';
      const text = `${citationLabel(source, id, documents)}${mark}`;
      if (seen.has(text)) continue;
      seen.add(text);
      parts.push(inline(text));
    }
    return ` (${parts.join('; ')})`;
  };
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
