/*
 * Typed repository errors. The API maps them to TRPCErrors; the db package never knows about HTTP.
 * Each carries a stable `code` so callers can switch without instanceof across module copies.
 */

export class DbError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class QuoteNotFoundError extends DbError {
  constructor(readonly quoteId: string) {
    super('QUOTE_NOT_FOUND', `quote ${quoteId} not found`);
  }
}

export class QuoteExpiredError extends DbError {
  constructor(
    readonly quoteId: string,
    readonly expiresAt: Date,
  ) {
    super('QUOTE_EXPIRED', `quote ${quoteId} expired at ${expiresAt.toISOString()}`);
  }
}

export class QuoteAlreadyUsedError extends DbError {
  constructor(readonly quoteId: string) {
    super('QUOTE_ALREADY_USED', `quote ${quoteId} was already used by another analysis`);
  }
}

/** The idempotency key was already used for a different quote: a client bug, not a retry. */
export class IdempotencyConflictError extends DbError {
  constructor(
    readonly idempotencyKey: string,
    readonly existingAnalysisId: string,
  ) {
    super(
      'IDEMPOTENCY_CONFLICT',
      `idempotency key already used for analysis ${existingAnalysisId} with another quote`,
    );
  }
}

export class InsufficientCreditsError extends DbError {
  readonly shortfall: number;
  constructor(
    readonly required: number,
    readonly available: number,
  ) {
    super('INSUFFICIENT_CREDITS', `needs ${required} credits, ${available} available`);
    this.shortfall = required - available;
  }
}

export class AnalysisNotFoundError extends DbError {
  constructor(readonly analysisId: string) {
    super('ANALYSIS_NOT_FOUND', `analysis ${analysisId} not found`);
  }
}

export class InvalidCursorError extends DbError {
  constructor() {
    super('INVALID_CURSOR', 'invalid pagination cursor');
  }
}

/** A ledger row with the same (memo_uuid, reason) or Stripe session already exists. */
export class DuplicateLedgerEntryError extends DbError {
  constructor(detail: string) {
    super('DUPLICATE_LEDGER_ENTRY', `duplicate ledger entry: ${detail}`);
  }
}

/** The Postgres error under drizzle's DrizzleQueryError wrapper (it keeps the driver error as `cause`). */
function pgError(err: unknown): { code?: string; constraint_name?: string } | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if (
      typeof e === 'object' &&
      e !== null &&
      'code' in e &&
      typeof (e as { code: unknown }).code === 'string'
    ) {
      const c = (e as { code: string }).code;
      if (/^[0-9A-Z]{5}$/.test(c)) return e as { code: string; constraint_name?: string };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isUniqueViolation = (err: unknown, constraint?: string) => {
  const pg = pgError(err);
  return pg?.code === '23505' && (constraint === undefined || pg.constraint_name === constraint);
};
