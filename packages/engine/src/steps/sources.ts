import type { SourceDocument } from '../documents/inventory';
import type { Section } from '../preparation/sections';
import type { Source } from './evidence';

/**
 * The preparer's note as citable paragraphs N1, N2, …: facts from outside the contract (SSP,
 * collectibility, policy elections) can then be quoted and checked like contract text.
 */
export function noteSources(note: string | null): Source[] {
  if (!note) return [];
  return note
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((text, i) => ({
      id: `N${i + 1}`,
      documentId: 'note',
      label: null,
      title: text.length > 80 ? `${text.slice(0, 77)}...` : text,
      text,
    }));
}

export function sectionSources(sections: Section[]): Source[] {
  return sections.map((s) => ({
    id: s.id,
    documentId: s.documentId,
    label: s.label,
    title: s.title,
    text: s.text,
  }));
}

const KIND_NAMES: Record<string, string> = {
  msa: 'MSA',
  order_form: 'Order Form',
  amendment: 'Amendment',
  sow: 'SOW',
  addendum: 'Addendum',
  terms: 'Terms',
};

/**
 * "MSA §4.3 (S17)": the document (by kind, or by name when several share a kind), the clause as
 * written, and the id. One plain contract reads "§4.3 (S17)"; the note reads "Preparer's note (N1)".
 */
export function citationLabel(source: Source | undefined, id: string, documents: SourceDocument[]): string {
  if (!source) return id;
  if (source.documentId === 'note') return `Preparer's note (${id})`;
  const doc = documents.find((d) => d.id === source.documentId);
  const kindName = doc ? KIND_NAMES[doc.kind] : undefined;
  const sameKind = doc ? documents.filter((d) => d.kind === doc.kind).length : 0;
  const docName =
    documents.length <= 1 && !kindName ? null : kindName && sameKind === 1 ? kindName : (doc?.name ?? null);
  const clause = source.label ? (/^\d/.test(source.label) ? `§${source.label}` : source.label) : null;
  const prefix = [docName, clause].filter(Boolean).join(' ');
  return prefix ? `${prefix} (${id})` : id;
}
