import { describeDocument, type SourceDocument } from '../documents/inventory';
import { normalizeDocuments, splitDocuments } from '../documents/join';
import { countWords } from '../documents/normalize';

/**
 * Splits a contract into its documents and each document into sections with ids the model cites.
 * Ids are positional, so the same text always yields the same ids: S1, S2, ... for a single document
 * (the ids every earlier answer used), D1.S1, D2.S1, ... when the contract has several documents
 * (numbering restarts per document, so clause numbers that repeat across documents stay distinct).
 * Heading rules and what is kept or dropped: docs/extraction-and-sections.md.
 */
export interface Section {
  id: string;
  /** The document this section belongs to: 'D1', 'D2', ... in upload order. */
  documentId: string;
  /** The clause number or heading as written ("4.2", "ARTICLE IV", "§ 3", "第一条"), or null for chunks. */
  label: string | null;
  /** First line of the section, shortened; for the memo's section index. */
  title: string;
  text: string;
}

export interface PreparedDocuments {
  documents: SourceDocument[];
  sections: Section[];
}

/** Below this many headings a document is not clause-structured; fall back to paragraph chunks. */
const MIN_HEADINGS = 3;
/** Sections longer than this are split so a citation points somewhere a reader can find. */
const MAX_SECTION_WORDS = 600;
const CHUNK_WORDS = 250;

/**
 * The contract's documents and sections. `fileNames` names a single document (a multi-document text
 * carries its names in its boundary lines). The text is normalized first (idempotent on stored text).
 */
export function prepareDocuments(text: string, fileNames: readonly string[] = []): PreparedDocuments {
  const parts = splitDocuments(normalizeDocuments(text));
  const several = parts.length > 1;
  const documents: SourceDocument[] = [];
  const sections: Section[] = [];
  parts.forEach((part, i) => {
    const documentId = `D${i + 1}`;
    const { pieces, structured } = sectionPieces(part.text);
    documents.push(
      describeDocument({
        id: documentId,
        name: part.name ?? fileNames[i] ?? fileNames[0] ?? 'contract',
        text: part.text,
        warnings: structured ? [] : ['No clause headings were found; sections are paragraph chunks.'],
      }),
    );
    pieces.forEach((p, j) => {
      sections.push({
        id: several ? `${documentId}.S${j + 1}` : `S${j + 1}`,
        documentId,
        label: p.label,
        title: titleOf(p.text),
        text: p.text,
      });
    });
  });
  return { documents, sections };
}

/** The sections alone (see prepareDocuments). */
export function splitSections(text: string): Section[] {
  return prepareDocuments(text).sections;
}

interface Piece {
  label: string | null;
  text: string;
}

function sectionPieces(text: string): { pieces: Piece[]; structured: boolean } {
  const lines = text.split('\n');
  const starts = findHeadings(lines);
  const structured = starts.length >= MIN_HEADINGS;
  const raw = structured ? byHeadings(lines, starts) : byParagraphs(text);
  return { pieces: raw.flatMap(splitLong).filter((p) => p.text.trim().length > 0), structured };
}

// ---------------------------------------------------------------------------------------------
// Headings

interface Heading {
  label: string;
  /** Numeric path of a decimal label ("2.1" -> [2, 1]); the numbering sequence is checked with it. */
  path: number[] | null;
  /** "2.", "2)" or "2.1": a number that is written as a clause number, not just a number. */
  dotted: boolean;
}

/** "1.", "2.1", "3)", "4 Fees": decimal clause numbers (wrapped lines are told apart in findHeadings). */
const NUMBERED = /^((?:\d{1,2}\.)*\d{1,2})([.)]?)\s+(\S)/u;
/** "§ 1", "§2.3", "§ 4a". */
const SECTION_SIGN = /^(§{1,2}\s?\d{1,3}(?:\.\d{1,2})*[a-z]?)(?=$|[\s.:)])/u;
/** "Article 3", "ARTICLE IV", "Section 4.2", "Schedule A", "Annexe 2", in the common languages. */
const NAMED =
  /^((?:section|article|artikel|art\.|artículo|articolo|clause|schedule|exhibit|appendix|annex|annexe|anhang|anlage|chapter|chapitre|part|partie|titre)\s+(?:\d{1,3}[A-Za-z]?|[IVXLC]{1,7}|[A-Z])(?:\.\d{1,2})*)(?=$|[\s.:)–—-])(.*)$/iu;
/** "I. DEFINITIONS", "IV) Fees", "A. Services": roman numerals and capital letters with a dot. */
const LETTERED = /^([IVXLC]{1,7}|[A-Z])[.)]\s+(?=[\p{Lu}"'])/u;
/** "第一条", "第3条", "第二章": Chinese and Japanese article and chapter numbers. */
const CJK_ARTICLE = /^(第[一二三四五六七八九十百千零〇两\d]{1,6}[条條章节節])/u;
/** "一、" : Chinese enumerated headings. */
const CJK_ENUMERATED = /^([一二三四五六七八九十]{1,3})[、．]/u;

/** Page furniture that survives extraction is never a heading (see docs/extraction-and-sections.md). */
const FURNITURE =
  /^(?:(?:strictly |highly )?confidential(?: (?:and|&) proprietary)?|draft|execution (?:copy|version)|(?:page|p\.|seite|página)?\s*\d{1,4}(?:\s*(?:of|\/|de|sur|von)\s*\d{1,4})?|-\s*\d{1,4}\s*-)$/iu;

function headingOf(line: string): Heading | null {
  const t = line.trim();
  if (t.length === 0 || FURNITURE.test(t)) return null;
  const numbered = NUMBERED.exec(t);
  if (numbered?.[1]) {
    const label = numbered[1];
    const dotted = label.includes('.') || numbered[2] !== '';
    const next = numbered[3] ?? '';
    // "30 (thirty) days": a bare number before a parenthesis or a lowercase word is prose.
    const ok = dotted ? /^[\p{Lu}\p{Lo}"'(]/u.test(next) : /^[\p{Lu}\p{Lo}"']/u.test(next);
    if (ok) return { label, path: label.split('.').map(Number), dotted };
    return null;
  }
  const sign = SECTION_SIGN.exec(t);
  if (sign?.[1]) return { label: sign[1], path: null, dotted: true };
  const named = NAMED.exec(t);
  // "Section 3 of the Agreement is amended": a sentence about a clause, not its heading.
  if (named?.[1] && /^(?:$|\s*[.:)–—-]|\s+[\p{Lu}\p{Lo}"'(])/u.test(named[2] ?? '')) {
    return { label: named[1], path: null, dotted: true };
  }
  const lettered = LETTERED.exec(t);
  if (lettered?.[1]) return { label: lettered[1], path: null, dotted: true };
  const cjk = CJK_ARTICLE.exec(t) ?? CJK_ENUMERATED.exec(t);
  if (cjk?.[1]) return { label: cjk[1], path: null, dotted: true };
  if (isCapsHeading(t)) return { label: t, path: null, dotted: true };
  return null;
}

/**
 * Heading lines, read in context: a line that continues a sentence (the line before it ends
 * mid-sentence, with no blank line between) is not a heading unless it is a clause number written
 * as one and next in the numbering sequence — so a PDF line wrapped before "30 (thirty) days" or
 * "Section 4.2 above" stays in its clause.
 */
function findHeadings(lines: string[]): { line: number; label: string }[] {
  const starts: { line: number; label: string }[] = [];
  let previous = '';
  let previousIsHeading = false;
  let lastPath: number[] | null = null;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const heading = headingOf(line);
    let accepted = false;
    if (heading) {
      const inSequence = heading.path !== null && followsInSequence(heading.path, lastPath);
      const continues = previous !== '' && !previousIsHeading && endsMidSentence(previous);
      if (heading.path !== null && !heading.dotted) {
        // "4 Fees": a bare number is a heading only where the numbering expects it or the line is
        // shaped like a heading (short, no closing full stop).
        accepted = !continues && (inSequence || looksLikeTitle(line));
      } else {
        accepted = !continues || (heading.dotted && inSequence);
      }
      if (accepted) {
        starts.push({ line: i, label: heading.label });
        if (heading.path) lastPath = heading.path;
      }
    }
    previous = line;
    previousIsHeading = accepted;
  });
  return starts;
}

function endsMidSentence(line: string): boolean {
  return !/[.:;!?。；：！？)\]"'»]$/u.test(line);
}

function looksLikeTitle(line: string): boolean {
  return line.split(/\s+/).length <= 10 && !/[.;,]$/.test(line);
}

/** Whether `path` can follow `last`: the next clause at any level, or the first sub-clause. */
function followsInSequence(path: number[], last: number[] | null): boolean {
  if (last === null) return path.every((n, i) => n <= (i === 0 ? 2 : 1));
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((n, i) => n === b[i]);
  if (same(path, [...last, 1])) return true;
  for (let k = 0; k < last.length; k++) {
    const next = [...last.slice(0, k), (last[k] ?? 0) + 1];
    if (same(path, next) || same(path, [...next, 1])) return true;
  }
  return false;
}

/** "FEES AND PAYMENT": short, mostly capitals, no sentence punctuation at the end. */
function isCapsHeading(t: string): boolean {
  if (t.length < 4 || t.length > 80 || /[.;,]$/.test(t)) return false;
  const letters = t.replace(/[^\p{L}]/gu, '');
  return letters.length >= 4 && letters === letters.toUpperCase() && letters !== letters.toLowerCase();
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
      !merged.text.includes('\n') &&
      merged.text.split(/\s+/).length <= 8 &&
      !/[.;:,。；：]$/.test(merged.text);
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
    words += countWords(p);
    if (words >= CHUNK_WORDS) {
      pieces.push({ label: null, text: current.join('\n\n') });
      current = [];
      words = 0;
    }
  }
  if (current.length > 0) pieces.push({ label: null, text: current.join('\n\n') });
  return pieces;
}

/** Whitespace, one Chinese/Japanese character, or a run of anything else: the units a cut falls between. */
const ATOMS =
  /\s+|[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;
const SENTENCE_END = /[.;!?。；！？]$/u;

/**
 * Cuts a long section into chunks of about CHUNK_WORDS words, preferring a line end, then a sentence
 * end, and only then any word boundary; the text between cuts is kept exactly.
 */
function splitLong(piece: Piece): Piece[] {
  if (countWords(piece.text) <= MAX_SECTION_WORDS) return [piece];
  const out: Piece[] = [];
  const push = (text: string) => {
    const t = text.trim();
    if (!t) return;
    out.push({ label: out.length === 0 ? piece.label : piece.label && `${piece.label} (cont.)`, text: t });
  };
  let start = 0;
  let pos = 0;
  let words = 0;
  for (const atom of piece.text.match(ATOMS) ?? []) {
    pos += atom.length;
    const space = /^\s/.test(atom);
    if (!space && /[\p{L}\p{N}]/u.test(atom)) words++;
    if (words < CHUNK_WORDS) continue;
    const good = (space && atom.includes('\n')) || SENTENCE_END.test(atom);
    const anyBoundary = space || /^\p{Script=Han}|^\p{Script=Hiragana}|^\p{Script=Katakana}/u.test(atom);
    if (good || (words >= CHUNK_WORDS * 1.5 && anyBoundary)) {
      push(piece.text.slice(start, pos));
      start = pos;
      words = 0;
    }
  }
  push(piece.text.slice(start));
  return out;
}

/** First line; a bare heading ("4. FEES") gets the start of the clause folded under it. */
function titleOf(text: string): string {
  const [first = '', second = ''] = text.split('\n').map((l) => l.trim());
  const line = second && first.split(/\s+/).length <= 8 ? `${first} / ${second}` : first;
  return line.length > 80 ? `${line.slice(0, 77).trimEnd()}...` : line;
}
