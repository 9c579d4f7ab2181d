import type { AppErrorData } from '@revmemo/contracts';
import { bytes, formatWait, nf } from './format';

/** A problem to show the user: a short title and a sentence saying what to do. */
export interface UserError {
  title: string;
  message: string;
  appError: AppErrorData | null;
}

function appErrorOf(err: unknown): AppErrorData | null {
  const data = (err as { data?: { appError?: AppErrorData | null } } | null)?.data;
  return data?.appError ?? null;
}

const UNREADABLE: Record<string, string> = {
  unsupported_type: 'Unsupported file type',
  unreadable: 'The file could not be read',
  no_text: 'No text found',
  empty: 'The document is empty',
};

const LIMIT_TITLES: Record<string, string> = {
  too_many_pages: 'Too many pages',
  part_too_large: 'The document expands too much',
  too_many_chars: 'Too much text',
  timeout: 'The file took too long to read',
  out_of_memory: 'The file is too complex to read',
  busy: 'The server is busy',
};

/** Server messages are written for users; the code picks the title and fills gaps. */
export function describeError(appError: AppErrorData | null, serverMessage: string | undefined): UserError {
  const message = serverMessage?.trim() || 'Something went wrong. Please try again.';
  if (!appError) return { title: 'Something went wrong', message, appError };
  switch (appError.code) {
    case 'FILE_TOO_LARGE':
      return {
        title: 'File too large',
        message: `${appError.filename ? `${appError.filename} is` : 'The file is'} over the ${bytes(appError.maxBytes)} limit. Split it or upload a smaller file.`,
        appError,
      };
    case 'DOCUMENT_UNREADABLE':
      return { title: UNREADABLE[appError.reason] ?? 'The file could not be read', message, appError };
    case 'TOO_MANY_WORDS':
      return {
        title: 'Document too long',
        message: `The document has ${nf.format(appError.words)} words; the limit is ${nf.format(appError.maxWords)}. Upload fewer or shorter files.`,
        appError,
      };
    case 'DOCUMENT_LIMIT':
      return { title: LIMIT_TITLES[appError.reason] ?? 'The file is over a limit', message, appError };
    case 'TOO_MANY_FILES':
      return { title: 'Too many files', message, appError };
    case 'CONTEXT_TOO_LONG':
      return { title: 'Additional context too long', message, appError };
    case 'INVALID_FILENAME':
      return { title: 'Unusable file name', message, appError };
    case 'CONTRACT_TOO_LONG':
      return { title: 'Document too long for the model', message, appError };
    case 'INSUFFICIENT_CREDITS':
      return {
        title: 'Not enough credits',
        message: `This analysis costs ${nf.format(appError.required)} credits; you have ${nf.format(appError.available)} available (${nf.format(appError.shortfall)} short).`,
        appError,
      };
    case 'QUOTE_EXPIRED':
      return {
        title: 'Quote expired',
        message: 'The quote has expired. Get a new quote to continue.',
        appError,
      };
    case 'QUOTE_ALREADY_USED':
      return { title: 'Quote already used', message, appError };
    case 'PURCHASES_DISABLED':
      return { title: 'Purchases are off', message, appError };
    case 'RATE_LIMITED':
      // The server's message names the limit; the title carries the wait.
      return {
        title: `Too many requests — try again in ${formatWait(appError.retryAfterSeconds)}`,
        message,
        appError,
      };
    case 'BATCH_TOO_LARGE':
      return { title: 'Too many requests at once', message, appError };
    default:
      return { title: 'Something went wrong', message, appError };
  }
}

export function userErrorFrom(err: unknown): UserError {
  const msg = err instanceof Error ? err.message : undefined;
  return describeError(appErrorOf(err), friendlyNetwork(msg));
}

function friendlyNetwork(msg: string | undefined): string | undefined {
  if (msg && /failed to fetch|networkerror|load failed/i.test(msg)) {
    return 'The server could not be reached. Check your connection and try again.';
  }
  return msg;
}
