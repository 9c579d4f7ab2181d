/**
 * Checks every `evidence` item of a step answer against the text it claims to quote. Nothing is
 * removed: an item naming an unknown section or quoting words the section does not contain stays
 * in the answer and becomes a flag the memo shows next to the finding and in the open items, so a
 * reviewer sees what the model could not support (docs/memo.md, "Evidence").
 */

/** Anything a finding can cite: a contract section, or a paragraph of the preparer's note (N1…). */
export interface Source {
  id: string;
  /** The source document's id ("D1"), or "note" for the preparer's note. */
  documentId: string;
  label: string | null;
  title: string;
  text: string;
}

type EvidenceProblem = 'unknown_section' | 'quote_not_found';

export interface EvidenceCheck {
  /** JSON path of the evidence item, e.g. "criteria.a.evidence[0]". */
  path: string;
  sectionId: string;
  quote: string;
  problem: EvidenceProblem;
}

/**
 * Comparable form of a quote or a section: case, whitespace, typographic quotes and dashes, and
 * the punctuation a model adds or drops at the ends do not count.
 */
function normaliseForQuote(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019\u201A\u201B\u2032`]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["'(\s]+|["'.,;:)\s]+$/g, '');
}

/** A quote is found when each part between ellipses occurs in the section, in order. */
export function quoteFound(quote: string, sectionText: string): boolean {
  const haystack = normaliseForQuote(sectionText);
  const parts = quote
    .split(/\.\.\.|\u2026|\[\.\.\.\]/)
    .map(normaliseForQuote)
    .filter((p) => p.length > 0);
  if (parts.length === 0) return false;
  let from = 0;
  for (const part of parts) {
    const at = haystack.indexOf(part, from);
    if (at < 0) return false;
    from = at + part.length;
  }
  return true;
}

/** Section ids the way a model may write them: "[S4]", " s4 ". */
export function cleanSectionId(id: string): string {
  return id
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toUpperCase();
}

export function checkEvidence(value: unknown, sources: ReadonlyMap<string, Source>): EvidenceCheck[] {
  const out: EvidenceCheck[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        walk(x, `${path}[${i}]`);
      });
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v)) {
      const here = path ? `${path}.${k}` : k;
      if (k === 'evidence' && Array.isArray(child)) {
        child.forEach((item: { sectionId?: unknown; quote?: unknown }, i) => {
          const sectionId = cleanSectionId(String(item?.sectionId ?? ''));
          const quote = String(item?.quote ?? '');
          const source = sources.get(sectionId);
          const problem: EvidenceProblem | null = !source
            ? 'unknown_section'
            : quoteFound(quote, source.text)
              ? null
              : 'quote_not_found';
          if (problem) out.push({ path: `${here}[${i}]`, sectionId, quote, problem });
        });
      } else {
        walk(child, here);
      }
    }
  };
  walk(value, '');
  return out;
}

/** Every section id cited anywhere in a value, in order of first appearance. */
export function citedIds(value: unknown): string[] {
  const ids = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object')
      for (const [k, child] of Object.entries(v)) {
        if (k === 'evidence' && Array.isArray(child))
          for (const e of child) ids.add(cleanSectionId(String(e?.sectionId ?? '')));
        else walk(child);
      }
  };
  walk(value);
  return [...ids];
}
