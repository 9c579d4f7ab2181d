import { z } from 'zod';

/**
 * Limits on what a user may send, defined once. The fixed ones live here because the API's input
 * schemas need them at import time; the ones an operator tunes (bytes per file, words, pages, …) come
 * from the environment (packages/config). The server enforces both and announces them to clients in
 * `system.limits` (see `LimitsSchema`), so the web page never carries its own copy.
 */
export const FIXED_LIMITS = {
  /** Files in one quote. */
  maxFiles: 5,
  /** Characters of the optional additional-context note. */
  maxContextChars: 20_000,
  /** Characters of document text: pasted text, and text extracted from one upload (before normalizing). */
  maxTextChars: 2_000_000,
  /** Characters of a file name as stored and shown (longer names are shortened, keeping the extension). */
  maxFilenameChars: 255,
} as const;

/** What `system.limits` announces: every limit a client should check before it uploads. */
export const LimitsSchema = z.object({
  maxFiles: z.number().int(),
  maxUploadBytes: z.number().int(),
  maxWords: z.number().int(),
  maxContextChars: z.number().int(),
  maxTextChars: z.number().int(),
  maxFilenameChars: z.number().int(),
  maxPdfPages: z.number().int(),
  maxDocxPartBytes: z.number().int(),
  extractionTimeoutMs: z.number().int(),
  acceptedExtensions: z.array(z.string()),
});
export type Limits = z.infer<typeof LimitsSchema>;

/** File types the server can read. `md` is read as plain text. */
export const ACCEPTED_EXTENSIONS = ['pdf', 'docx', 'txt', 'md'] as const;

// C0 and C1 controls, DEL, zero-width and bidirectional controls, line/paragraph separators, BOM.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const INVISIBLE = /[\u0000-\u001F\u007F-\u009F\u00AD\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A file name as the server stores and shows it: the last path segment, without control or invisible
 * characters (NUL would make PostgreSQL refuse the row; bidirectional controls can disguise an
 * extension), spaces collapsed, at most `FIXED_LIMITS.maxFilenameChars` characters (a long name is
 * shortened in the middle and keeps its extension). `error` says why a name is unusable even so.
 */
export function normalizeFilename(raw: string): { name: string } | { error: string } {
  const segment = raw.split(/[/\\]/).pop() ?? '';
  const clean = segment.replace(LONE_SURROGATE, '\uFFFD').replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(clean);
  const dot = clean.lastIndexOf('.');
  const ext = dot >= 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
  const stem = ext ? clean.slice(0, dot) : clean;
  if (stem.replace(/[.\s]/g, '') === '') {
    return {
      error:
        raw.length === 0
          ? 'A file has no name.'
          : 'A file name has no visible characters (after removing control characters). Rename the file and upload it again.',
    };
  }
  const max = FIXED_LIMITS.maxFilenameChars;
  if (chars.length <= max) return { name: clean };
  const keep = max - Array.from(ext).length - 1;
  return { name: `${Array.from(stem).slice(0, keep).join('').trimEnd()}…${ext}` };
}
