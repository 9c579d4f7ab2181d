import mammoth from 'mammoth';
import { extractText as extractPdfText, getDocumentProxy } from 'unpdf';
import { DocumentError } from '../errors';
import { normalizeText } from './normalize';

export interface DocumentInput {
  filename: string;
  data: Uint8Array;
}

const SUPPORTED = 'Upload a PDF, DOCX or TXT file.';

/** Turns an upload into normalized text, or throws DocumentError with a message for the user. */
export async function extractText({ filename, data }: DocumentInput): Promise<{ text: string }> {
  const ext = extensionOf(filename);
  const reader = READERS[ext];
  if (!reader) {
    throw new DocumentError('unsupported_type', `"${filename}" is not a supported file type. ${SUPPORTED}`);
  }
  if (data.byteLength === 0) throw new DocumentError('empty', `"${filename}" is empty.`);
  const text = normalizeText(await reader(filename, data));
  if (text.length === 0) {
    if (ext === 'pdf') {
      throw new DocumentError(
        'no_text',
        `"${filename}" has no selectable text (it looks like a scanned image). Upload a text-based PDF or run OCR first.`,
      );
    }
    throw new DocumentError('empty', `"${filename}" contains no text.`);
  }
  return { text };
}

function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? '' : filename.slice(dot + 1).toLowerCase();
}

type Reader = (filename: string, data: Uint8Array) => Promise<string>;

const READERS: Record<string, Reader> = {
  pdf: readPdf,
  docx: readDocx,
  txt: readPlain,
  md: readPlain,
};

async function readPdf(filename: string, data: Uint8Array): Promise<string> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>> | undefined;
  try {
    // pdf.js transfers (detaches) the buffer it is given; copy so the caller's bytes stay usable.
    // verbosity 0 keeps pdf.js from printing recovery warnings for every damaged file.
    pdf = await getDocumentProxy(new Uint8Array(data), { verbosity: 0 });
    const { text } = await extractPdfText(pdf, { mergePages: true });
    return text;
  } catch (err) {
    const encrypted = err instanceof Error && err.name === 'PasswordException';
    throw new DocumentError(
      'unreadable',
      encrypted
        ? `"${filename}" is password-protected. Remove the password and upload it again.`
        : `"${filename}" could not be read as a PDF (the file may be damaged).`,
      { cause: err },
    );
  } finally {
    await pdf?.destroy().catch(() => undefined);
  }
}

async function readDocx(filename: string, data: Uint8Array): Promise<string> {
  try {
    const result = await mammoth.extractRawText({
      buffer: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    });
    return result.value;
  } catch (err) {
    throw new DocumentError(
      'unreadable',
      `"${filename}" could not be read as a Word document (the file may be damaged).`,
      {
        cause: err,
      },
    );
  }
}

async function readPlain(filename: string, data: Uint8Array): Promise<string> {
  // A NUL byte in the first KiB means a binary file renamed to .txt; decoding it would produce
  // garbage that still gets priced.
  if (data.subarray(0, 1024).includes(0)) {
    throw new DocumentError('unreadable', `"${filename}" is not a plain-text file.`);
  }
  return new TextDecoder('utf-8').decode(data);
}
