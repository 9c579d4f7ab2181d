import { DOCUMENT_MARK, normalizeText } from './normalize';

/**
 * Several uploaded files make one contract text, each file starting at a boundary line
 * `<U+001E>Document: <name>`. U+001E (record separator) is a control character that normalizeText
 * removes from every user text, so a contract cannot forge a boundary by containing one; only this
 * join writes it. A single file is stored as it is, with no boundary line, so single-document texts
 * (and their hashes and section ids) are what they always were. See docs/extraction-and-sections.md.
 */
export interface DocumentPart {
  /** The file name from the boundary line, or null for text before any boundary (a single document). */
  name: string | null;
  text: string;
}

const PREFIX = `${DOCUMENT_MARK}Document: `;

const oneLine = (s: string) => normalizeText(s).replace(/\s+/g, ' ') || 'unnamed';

/** Joins normalized file texts into one contract text. */
export function joinDocuments(parts: readonly { name: string; text: string }[]): string {
  if (parts.length === 1) return parts[0]?.text ?? '';
  return parts.map((p) => `${PREFIX}${oneLine(p.name)}\n${p.text}`).join('\n\n');
}

/** The parts of a contract text, in order: what joinDocuments joined. */
export function splitDocuments(text: string): DocumentPart[] {
  const parts: DocumentPart[] = [];
  let current: { name: string | null; lines: string[] } = { name: null, lines: [] };
  const flush = () => {
    const body = current.lines.join('\n').trim();
    if (current.name !== null || body.length > 0) parts.push({ name: current.name, text: body });
  };
  for (const line of text.split('\n')) {
    if (line.startsWith(DOCUMENT_MARK)) {
      flush();
      const name = line
        .slice(1)
        .replace(/^Document:\s*/, '')
        .trim();
      current = { name: name || 'unnamed', lines: [] };
    } else current.lines.push(line);
  }
  flush();
  if (parts.length === 0) parts.push({ name: null, text: '' });
  return parts;
}

/**
 * normalizeText for a contract text that may hold boundaries: each document is normalized on its own
 * and the boundaries are kept. Idempotent, and equal to normalizeText for a single document.
 */
export function normalizeDocuments(text: string): string {
  const parts = splitDocuments(text.replace(/\r\n?/g, '\n'));
  if (parts.every((p) => p.name === null)) return normalizeText(text);
  const named = parts.filter((p) => p.name !== null || normalizeText(p.text).length > 0);
  return named
    .map((p) =>
      p.name === null
        ? normalizeText(p.text)
        : `${PREFIX}${oneLine(p.name)}\n${normalizeText(p.text)}`.trimEnd(),
    )
    .join('\n\n');
}
