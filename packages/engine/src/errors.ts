/**
 * Every error the engine throws on purpose. Each carries a `userMessage` that is safe to show
 * in the UI (no stack, no provider internals), so callers never have to invent one.
 */

export type DocumentErrorCode =
  | 'unsupported_type'
  | 'unreadable'
  | 'no_text'
  | 'empty'
  // A limit of the extraction (ExtractionLimits): the upload is refused, nothing was parsed past it.
  | 'too_many_pages'
  | 'part_too_large'
  | 'too_many_chars'
  | 'timeout'
  | 'out_of_memory'
  | 'busy';

/** The codes that mean "past a limit" rather than "broken file". */
export const DOCUMENT_LIMIT_CODES: readonly DocumentErrorCode[] = [
  'too_many_pages',
  'part_too_large',
  'too_many_chars',
  'timeout',
  'out_of_memory',
  'busy',
];

/** The upload cannot be turned into text; shown to the user at quote time. */
export class DocumentError extends Error {
  override readonly name = 'DocumentError';
  constructor(
    readonly code: DocumentErrorCode,
    readonly userMessage: string,
    options?: { cause?: unknown; limit?: number },
  ) {
    super(userMessage, options);
    this.limit = options?.limit;
  }
  /** The limit that was hit (pages, bytes, characters, milliseconds, MB), for a limit code. */
  readonly limit: number | undefined;
}

/** More words than any pricing tier (or MAX_WORDS) covers. */
export class TooManyWordsError extends Error {
  override readonly name = 'TooManyWordsError';
  readonly userMessage: string;
  constructor(
    readonly words: number,
    readonly maxWords: number,
    /** Set when the model tokens, not the words, made the document this long (see priceForText). */
    readonly tokens?: number,
  ) {
    const msg =
      tokens === undefined
        ? `The document has ${words.toLocaleString('en-US')} words; the limit is ${maxWords.toLocaleString('en-US')}.`
        : `The document is as long as ${words.toLocaleString('en-US')} words for the model (${tokens.toLocaleString('en-US')} tokens); the limit is ${maxWords.toLocaleString('en-US')} words.`;
    super(msg);
    this.userMessage = msg;
  }
}

/** Transient model failure (429, 5xx, timeout, connection): the job should be retried. */
export class TransientModelError extends Error {
  override readonly name: string = 'TransientModelError';
  readonly userMessage = 'The AI model is temporarily unavailable; the analysis will be retried.';
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
  /** How long the provider asked us to wait (Retry-After / retry-after-ms), when it said so. */
  readonly retryAfterMs: number | undefined;
}

/**
 * The provider asked for a pause longer than the step's retry budget: the job should wait in the
 * queue until `retryAt` (holding no worker slot) and resume from its last finished step.
 */
export class RetryLaterError extends TransientModelError {
  override readonly name = 'RetryLaterError';
  constructor(
    readonly retryAt: Date,
    cause: TransientModelError,
  ) {
    super(`the provider asked to retry at ${retryAt.toISOString()}`, cause.status, {
      cause,
      retryAfterMs: cause.retryAfterMs,
    });
  }
}

export type PermanentErrorCode =
  | 'schema'
  | 'refusal'
  | 'content_filter'
  | 'output_too_long'
  | 'bad_request'
  | 'auth'
  | 'model_not_found'
  | 'contract_too_long'
  | 'model_error';

/** A failure that retrying cannot fix: the job should fail and the hold be released. */
export class PermanentAnalysisError extends Error {
  override readonly name: string = 'PermanentAnalysisError';
  constructor(
    readonly code: PermanentErrorCode,
    readonly userMessage: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(options?.detail ? `${userMessage} (${options.detail})` : userMessage, options);
  }
}

/** The contract does not fit the model's context budget; raised before any model call. */
export class ContractTooLongError extends PermanentAnalysisError {
  override readonly name = 'ContractTooLongError';
  constructor(
    readonly tokens: number,
    readonly maxTokens: number,
  ) {
    super(
      'contract_too_long',
      `The contract is too long for the model (${tokens.toLocaleString('en-US')} tokens; the limit is ${maxTokens.toLocaleString('en-US')}).`,
    );
  }
}

/**
 * The caller's AbortSignal fired (cancel or worker shutdown). Named 'AbortError' so code that
 * already recognises DOM-style aborts treats it the same way.
 */
export class AnalysisAbortedError extends Error {
  override readonly name = 'AbortError';
  readonly userMessage = 'The analysis was canceled.';
  constructor(options?: { cause?: unknown }) {
    super('The analysis was aborted', options);
  }
}
