import { EXTRACTION_DEFAULTS } from '@revmemo/config';
import { FIXED_LIMITS } from '@revmemo/contracts';
import { DocumentError } from '../errors';
import { normalizeText } from './normalize';
import { createExtractor, type ExtractionKind, type ExtractionLimits, type Extractor } from './pool';

export interface DocumentInput {
  filename: string;
  data: Uint8Array;
}

const SUPPORTED = 'Upload a PDF, DOCX or TXT file.';

const KINDS: Record<string, ExtractionKind> = { pdf: 'pdf', docx: 'docx', txt: 'txt', md: 'txt' };

/** The limits when none are configured: the same defaults as the environment's (packages/config). */
export const DEFAULT_EXTRACTION_LIMITS: ExtractionLimits = {
  maxPages: EXTRACTION_DEFAULTS.maxPdfPages,
  maxPartBytes: EXTRACTION_DEFAULTS.maxDocxPartBytes,
  maxChars: FIXED_LIMITS.maxTextChars,
  timeoutMs: EXTRACTION_DEFAULTS.timeoutMs,
  memoryMb: EXTRACTION_DEFAULTS.memoryMb,
  concurrency: EXTRACTION_DEFAULTS.concurrency,
  maxQueue: EXTRACTION_DEFAULTS.maxQueue,
};

let shared: Extractor | undefined;
function sharedExtractor(): Extractor {
  if (!shared) shared = createExtractor(DEFAULT_EXTRACTION_LIMITS);
  return shared;
}

export interface ExtractedText {
  text: string;
  /** Pages of a PDF. */
  pages?: number;
  /** For the user, not errors: e.g. pages of a PDF that had no text to read. */
  warnings: string[];
}

/**
 * Turns an upload into normalized text, or throws DocumentError with a message for the user.
 * The parsing runs in `extractor`'s worker threads (a process-wide pool with the default limits when
 * none is given), never on the caller's event loop. What is kept and dropped (page furniture, DOCX
 * numbering and tables): docs/extraction-and-sections.md.
 */
export async function extractText(
  { filename, data }: DocumentInput,
  extractor?: Extractor,
): Promise<ExtractedText> {
  const ext = extensionOf(filename);
  const kind = KINDS[ext];
  if (!kind) {
    throw new DocumentError('unsupported_type', `"${filename}" is not a supported file type. ${SUPPORTED}`);
  }
  if (data.byteLength === 0) throw new DocumentError('empty', `"${filename}" is empty.`);
  const pool = extractor ?? sharedExtractor();
  const result = await pool.run(kind, data);
  if (!result.ok) throw documentError(filename, kind, result, pool.limits);
  const text = normalizeText(result.text);
  if (text.length === 0) {
    if (kind === 'pdf') {
      throw new DocumentError(
        'no_text',
        `"${filename}" has no selectable text (it looks like a scanned image). Upload a text-based PDF or run OCR first.`,
      );
    }
    throw new DocumentError('empty', `"${filename}" contains no text.`);
  }
  const warnings: string[] = [];
  const empty = result.emptyPages ?? [];
  if (empty.length > 0) {
    const which = empty.length === 1 ? `Page ${empty[0]}` : `Pages ${listOf(empty)}`;
    warnings.push(
      `${which} of ${nf.format(result.pages ?? 0)} ${empty.length === 1 ? 'has' : 'have'} no selectable text (scanned image or blank page) and ${empty.length === 1 ? 'was' : 'were'} not read. Run OCR and upload again if ${empty.length === 1 ? 'it holds' : 'they hold'} contract terms.`,
    );
  }
  return result.pages === undefined ? { text, warnings } : { text, pages: result.pages, warnings };
}

/** "3, 5 and 7", at most ten numbers then "and 4 more". */
function listOf(pages: number[]): string {
  const shown = pages.slice(0, 10).map(String);
  if (pages.length > 10) return `${shown.join(', ')} and ${pages.length - 10} more`;
  return shown.length === 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

const nf = new Intl.NumberFormat('en-US');
const mb = (bytes: number) => `${nf.format(Math.round((bytes / 1024 / 1024) * 10) / 10)} MB`;
const seconds = (ms: number) =>
  ms >= 1000 ? `${nf.format(Math.round(ms / 100) / 10)} seconds` : `${nf.format(ms)} ms`;

function documentError(
  filename: string,
  kind: ExtractionKind,
  r: Exclude<Awaited<ReturnType<Extractor['run']>>, { ok: true }>,
  limits: ExtractionLimits,
): DocumentError {
  const name = `"${filename}"`;
  switch (r.code) {
    case 'too_many_pages':
      return new DocumentError(
        'too_many_pages',
        `${name} has ${nf.format(r.pages)} pages; the limit is ${nf.format(r.max)} pages per file. Upload only the parts of the contract that matter.`,
        { limit: r.max },
      );
    case 'part_too_large':
      return new DocumentError(
        'part_too_large',
        `This DOCX expands to more than ${mb(r.max)} of text when opened (${name}), over the limit. Save it again from Word, or upload it as PDF.`,
        { limit: r.max },
      );
    case 'too_many_chars':
      return new DocumentError(
        'too_many_chars',
        `${name} holds more than ${nf.format(r.max)} characters of text, over the limit. Upload only the parts of the contract that matter.`,
        { limit: r.max },
      );
    case 'timeout':
      return new DocumentError(
        'timeout',
        `Reading ${name} took longer than ${seconds(r.max)}, so it was stopped. The file may be damaged or unusually complex; save it again as PDF or DOCX and retry.`,
        { limit: r.max },
      );
    case 'out_of_memory':
      return new DocumentError(
        'out_of_memory',
        `${name} needs more than ${nf.format(r.max)} MB of memory to read, so it was stopped. The file may be damaged or unusually complex; save it again as PDF or DOCX and retry.`,
        { limit: r.max },
      );
    case 'busy':
      return new DocumentError(
        'busy',
        `The server is reading many documents right now, so ${name} was not read. Try again in a minute.`,
        { limit: limits.concurrency },
      );
    case 'encrypted':
      return new DocumentError(
        'unreadable',
        `${name} is password-protected. Remove the password and upload it again.`,
      );
    case 'not_plain_text':
      return new DocumentError('unreadable', `${name} is not a plain-text file.`);
    default:
      return new DocumentError(
        'unreadable',
        kind === 'pdf'
          ? `${name} could not be read as a PDF (the file may be damaged).`
          : kind === 'docx'
            ? `${name} could not be read as a Word document (the file may be damaged).`
            : `${name} could not be read as text.`,
      );
  }
}

function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? '' : filename.slice(dot + 1).toLowerCase();
}
