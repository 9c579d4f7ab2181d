import { createHash } from 'node:crypto';

/**
 * Canonical form of extracted text. Quotes, hashes and word counts are computed on this form,
 * so the same contract uploaded as PDF or DOCX prices and hashes the same.
 */
export function normalizeText(raw: string): string {
  return (
    raw
      .replace(/^\uFEFF/, '')
      // NUL and other C0 and C1 controls (bad extractions) are not text, and PostgreSQL rejects NUL.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
      .replace(/[\u0000-\u0008\u000E-\u001F\u007F-\u009F]/g, '')
      .replace(/\r\n?/g, '\n')
      // Invisible separators (zero-width space, invisible separator/times/plus, function application,
      // Mongolian vowel separator) separate words: they become spaces, so joining words with them
      // neither hides words from the count nor changes what the model reads.
      .replace(/[\u200B\u2061-\u2064\u180E]/g, ' ')
      // Soft hyphens, joiners, bidirectional controls and tag characters are invisible and join or
      // reorder text rather than separate it; they carry nothing for the analysis.
      .replace(
        /[\u00AD\u200C-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]|\u{E0001}|[\u{E0020}-\u{E007F}]/gu,
        '',
      )
      .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
      .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
      .replace(/[\u2010\u2011]/g, '-')
      .replace(/\uFB01/g, 'fi')
      .replace(/\uFB02/g, 'fl')
      // PDF line-break hyphenation ("recog-\nnition"); only before a lowercase letter so that
      // "Section 4-\nB" or list dashes survive.
      .replace(/(\p{L})-\n[ \t]*(\p{Ll})/gu, '$1$2')
      .replace(/[\t\f\v\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g, ' ')
      .replace(/[\u2028\u2029]/g, '\n')
      .split('\n')
      .map((line) => line.replace(/ {2,}/g, ' ').trim())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

/**
 * Starts the boundary line between the files of a multi-file contract (see join.ts). It is a C0
 * control character, so normalizeText removes it from any user text and only the join can write it.
 */
export const DOCUMENT_MARK = '\u001E';

/**
 * Scripts written without spaces between words. Each character counts as one word, as word
 * processors count them; a Chinese contract is not one "word" per line.
 */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/gu;

/**
 * Words as a reader would count them: runs of non-space characters holding a letter or digit, plus
 * one word per Chinese or Japanese character. Document boundary lines are not words of the contract.
 */
export function countWords(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(DOCUMENT_MARK)) continue;
    for (const token of line.split(/\s+/)) {
      if (!/[\p{L}\p{N}]/u.test(token)) continue;
      const unspaced = token.match(UNSPACED)?.length ?? 0;
      if (unspaced === 0) {
        n++;
        continue;
      }
      // "价格为100元": four characters and the number "100".
      n += unspaced;
      for (const rest of token.replace(UNSPACED, ' ').split(' ')) if (/[\p{L}\p{N}]/u.test(rest)) n++;
    }
  }
  return n;
}

/** sha256 hex of the UTF-8 text; identifies a quote's exact document text. */
export function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
