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

/**
 * A database failure with nothing of the data in it: the SQLSTATE code, the table (and constraint or
 * column when PostgreSQL names one). Drizzle's DrizzleQueryError puts the query's parameters (a
 * contract's text, a memo) in its message, and PostgreSQL messages and details can quote values, so
 * neither may reach a log line, an API answer or a BullMQ failure reason.
 */
export class RedactedDbError extends Error {
  override readonly name = 'DatabaseError';
  constructor(
    readonly code: string | undefined,
    readonly table: string | undefined,
    readonly constraint: string | undefined,
    readonly column: string | undefined,
    frames: string,
  ) {
    super(
      `database error ${code ?? '(no code)'}${table ? ` on table ${table}` : ''}${constraint ? ` (constraint ${constraint})` : ''}${column ? ` (column ${column})` : ''}`,
    );
    // Only the call frames of the original: its first stack line repeats the message.
    this.stack = `${this.name}: ${this.message}${frames ? `\n${frames}` : ''}`;
  }
}

type Chainable = {
  name?: unknown;
  cause?: unknown;
  stack?: unknown;
  query?: unknown;
  params?: unknown;
  parameters?: unknown;
  table_name?: unknown;
  constraint_name?: unknown;
  column_name?: unknown;
};

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * `err` unchanged unless it is, or wraps, a database error (Drizzle's DrizzleQueryError, postgres.js's
 * PostgresError, anything carrying a SQLSTATE code or query parameters): then a RedactedDbError with
 * only the code and the table. Use it before logging an error and before an error becomes a job's
 * failure reason. Idempotent.
 */
export function redactError(err: unknown): unknown {
  if (err instanceof RedactedDbError) return err;
  let hit = false;
  let table: string | undefined;
  let frames = '';
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const c = e as Chainable;
    if (
      c.name === 'DrizzleQueryError' ||
      c.name === 'PostgresError' ||
      'params' in c ||
      'parameters' in c ||
      (typeof c.query === 'string' && 'cause' in c)
    ) {
      hit = true;
      if (!frames && typeof c.stack === 'string') frames = stackFrames(c.stack);
      table ??= str(c.table_name) ?? tableOfQuery(c.query);
    }
    e = c.cause;
  }
  const pg = pgError(err) as (Chainable & { code?: string }) | undefined;
  // A bare 5-letter code (EPIPE) is not enough: a server error also has a severity.
  if (!hit && !(pg && 'severity' in pg)) return err;
  return new RedactedDbError(
    pg?.code,
    str(pg?.table_name) ?? table,
    str(pg?.constraint_name),
    str(pg?.column_name),
    frames || (err instanceof Error && err.stack ? stackFrames(err.stack) : ''),
  );
}

function stackFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .join('\n');
}

function tableOfQuery(query: unknown): string | undefined {
  if (typeof query !== 'string') return undefined;
  const m = /^\s*(?:insert\s+into|update|delete\s+from|select\b[\s\S]*?\bfrom)\s+"?([A-Za-z0-9_]+)"?/i.exec(
    query,
  );
  return m?.[1];
}

/** Error fields safe to log: numbers and booleans, and these strings (never free-form text). */
const SAFE_STRING_FIELDS = new Set([
  'code',
  'type',
  'status',
  'statusCode',
  'table',
  'constraint',
  'column',
  'reason',
]);

/**
 * The pino error serializer of every process (`pino({ serializers: { err: serializeError, error:
 * serializeError } })`): redacts database errors (see redactError), keeps type, message, stack, the
 * cause chain, and only fields that cannot hold document text.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  const e = redactError(err);
  if (!(e instanceof Error) && (typeof e !== 'object' || e === null || !('message' in e))) return e;
  const src = e as Error & Record<string, unknown>;
  const out: Record<string, unknown> = {
    type: src.name ?? src.constructor?.name ?? 'Error',
    message: typeof src.message === 'string' ? src.message : String(src.message),
    stack: typeof src.stack === 'string' ? src.stack : undefined,
  };
  for (const [k, v] of Object.entries(src)) {
    if (k === 'message' || k === 'stack' || k === 'cause' || k === 'name') continue;
    if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'string' && SAFE_STRING_FIELDS.has(k)) out[k] = v.slice(0, 200);
  }
  if (src.cause !== undefined && depth < 5 && !(e instanceof RedactedDbError)) {
    out.cause = serializeError(src.cause, depth + 1);
  }
  return out;
}
