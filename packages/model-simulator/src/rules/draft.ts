import type { SimSection } from '../contract-text';

/**
 * The rules write answers with bare section ids (`citations`); `withEvidence` turns each list into
 * the schema's `evidence` items, quoting the opening words of each section verbatim, so every
 * quote the simulator gives passes the engine's check (a real model quotes; the rules only know
 * which section a fact came from).
 */
export type Draft<T> = T extends (infer U)[]
  ? Draft<U>[]
  : T extends object
    ? {
        [K in keyof T as K extends 'evidence' ? 'citations' : K]: K extends 'evidence'
          ? string[]
          : Draft<T[K]>;
      }
    : T;

const QUOTE_WORDS = 12;

export function withEvidence(value: unknown, sections: SimSection[]): unknown {
  const byId = new Map(sections.map((s) => [s.id, s]));
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) {
      if (k === 'citations' && Array.isArray(child))
        out.evidence = [...new Set(child as string[])].map((id) => ({
          sectionId: id,
          quote: quoteOf(byId.get(id)),
        }));
      else out[k] = walk(child);
    }
    return out;
  };
  return walk(value);
}

function quoteOf(section: SimSection | undefined): string {
  if (!section) return '';
  return section.text.split(/\s+/).filter(Boolean).slice(0, QUOTE_WORDS).join(' ');
}
