/**
 * Splits a contract into sections with ids the model cites (S1, S2, ...). Ids are positional,
 * so the same text always yields the same ids; the clause label ("4.2") is kept for readers.
 */
export interface Section {
  id: string;
  /** The clause number or heading as written ("4.2", "ARTICLE IV", "FEES"), or null for chunks. */
  label: string | null;
  /** First line of the section, shortened; for the memo's section index. */
  title: string;
  text: string;
}

/** Below this many headings the document is not clause-structured; fall back to paragraph chunks. */
const MIN_HEADINGS = 3;
/** Sections longer than this are split so a citation points somewhere a reader can find. */
const MAX_SECTION_WORDS = 600;
const CHUNK_WORDS = 250;

const NUMBERED = /^((?:\d{1,2}\.)*\d{1,2})[.)]?\s+(?=[A-Z"'(])/;
const NAMED =
  /^((?:section|article|clause|schedule|exhibit|appendix|annex)\s+[0-9A-Z]{1,6}(?:\.\d{1,2})*)\b/i;

export function splitSections(text: string): Section[] {
  const lines = text.split('\n');
  const starts: { line: number; label: string }[] = [];
  lines.forEach((line, i) => {
    const label = headingLabel(line);
    if (label !== null) starts.push({ line: i, label });
  });
  const raw = starts.length >= MIN_HEADINGS ? byHeadings(lines, starts) : byParagraphs(text);
  const pieces = raw.flatMap(splitLong).filter((p) => p.text.trim().length > 0);
  return pieces.map((p, i) => ({ id: `S${i + 1}`, label: p.label, title: titleOf(p.text), text: p.text }));
}

function headingLabel(line: string): string | null {
  const numbered = NUMBERED.exec(line);
  if (numbered?.[1]) return numbered[1];
  const named = NAMED.exec(line);
  if (named?.[1]) return named[1];
  if (isCapsHeading(line)) return line.trim();
  return null;
}

/** "FEES AND PAYMENT": short, mostly capitals, no sentence punctuation at the end. */
function isCapsHeading(line: string): boolean {
  const t = line.trim();
  if (t.length < 4 || t.length > 80 || /[.;,]$/.test(t)) return false;
  const letters = t.replace(/[^\p{L}]/gu, '');
  return letters.length >= 4 && letters === letters.toUpperCase() && letters !== letters.toLowerCase();
}

interface Piece {
  label: string | null;
  text: string;
}

function byHeadings(lines: string[], starts: { line: number; label: string }[]): Piece[] {
  const pieces: Piece[] = [];
  const first = starts[0]?.line ?? 0;
  if (first > 0) pieces.push({ label: null, text: lines.slice(0, first).join('\n').trim() });
  starts.forEach((s, i) => {
    const end = starts[i + 1]?.line ?? lines.length;
    pieces.push({ label: s.label, text: lines.slice(s.line, end).join('\n').trim() });
  });
  return mergeBareHeadings(pieces);
}

/**
 * "3. FEES" followed directly by "3.1 ..." would be a section with nothing to cite; fold the
 * heading into the clause after it so every id points at substance.
 */
function mergeBareHeadings(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  let carry: Piece | null = null;
  for (const p of pieces) {
    const merged: Piece = carry ? { label: carry.label, text: `${carry.text}\n${p.text}` } : p;
    carry = null;
    // A heading, not a short clause: one line, few words, no sentence punctuation at the end.
    const bare =
      !merged.text.includes('\n') && merged.text.split(/\s+/).length <= 8 && !/[.;:,]$/.test(merged.text);
    if (bare && p !== pieces.at(-1)) carry = merged;
    else out.push(merged);
  }
  return out;
}

function byParagraphs(text: string): Piece[] {
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  const pieces: Piece[] = [];
  let current: string[] = [];
  let words = 0;
  for (const p of paragraphs) {
    current.push(p);
    words += wordCount(p);
    if (words >= CHUNK_WORDS) {
      pieces.push({ label: null, text: current.join('\n\n') });
      current = [];
      words = 0;
    }
  }
  if (current.length > 0) pieces.push({ label: null, text: current.join('\n\n') });
  return pieces;
}

function splitLong(piece: Piece): Piece[] {
  const words = piece.text.split(/(\s+)/);
  if (wordCount(piece.text) <= MAX_SECTION_WORDS) return [piece];
  const out: Piece[] = [];
  let buf = '';
  let n = 0;
  for (const w of words) {
    buf += w;
    if (/\S/.test(w)) n++;
    if (n >= CHUNK_WORDS && /\s/.test(w)) {
      out.push({
        label: out.length === 0 ? piece.label : piece.label && `${piece.label} (cont.)`,
        text: buf.trim(),
      });
      buf = '';
      n = 0;
    }
  }
  if (buf.trim())
    out.push({
      label: out.length === 0 ? piece.label : piece.label && `${piece.label} (cont.)`,
      text: buf.trim(),
    });
  return out;
}

function wordCount(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}

/** First line; a bare heading ("4. FEES") gets the start of the clause folded under it. */
function titleOf(text: string): string {
  const [first = '', second = ''] = text.split('\n').map((l) => l.trim());
  const line = second && first.split(/\s+/).length <= 8 ? `${first} / ${second}` : first;
  return line.length > 80 ? `${line.slice(0, 77).trimEnd()}...` : line;
}
