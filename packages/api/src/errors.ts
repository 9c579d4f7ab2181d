import type { AppErrorData } from '@revmemo/contracts';
import { isRedisConnectionError } from '@revmemo/queue';
import { TRPCError } from '@trpc/server';

type Code = ConstructorParameters<typeof TRPCError>[0]['code'];

/** Carries machine-readable data to the client through TRPCError.cause (see trpc.ts errorFormatter). */
export class AppError extends Error {
  constructor(
    readonly data: AppErrorData,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function appError(code: Code, message: string, data: AppErrorData): TRPCError {
  return new TRPCError({ code, message, cause: new AppError(data, message) });
}

/** postgres.js's own codes for a connection it could not open or lost. */
const POSTGRES_CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * True when `err` (or anything in its cause chain: Drizzle and Better Auth wrap driver errors) says
 * PostgreSQL or Redis cannot be reached right now: refused or dropped connections, a server shutting
 * down or starting up (SQLSTATE 57P01-57P03, class 08), Redis connection errors. Such a request
 * would succeed a few seconds later, so it is answered 503, not 500.
 */
export function isDependencyUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (POSTGRES_CONNECTION_CODES.has(code)) return true;
      if (/^57P0[123]$/.test(code) || /^08\d{3}$/.test(code) || code === '08P01') return true;
    }
    if (isRedisConnectionError(e)) return true;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some(isDependencyUnavailable)) return true;
  }
  return false;
}

/** Seconds a client should wait before retrying a 503 (the header and the message agree). */
export const RETRY_AFTER_SECONDS = 3;

export const SERVICE_UNAVAILABLE_MESSAGE =
  'The service is briefly unavailable (a database is restarting); please try again in a few seconds.';

export function serviceUnavailable(cause: unknown): TRPCError {
  return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: SERVICE_UNAVAILABLE_MESSAGE, cause });
}

/**
 * A refusal by one of the account limits (docs/limits.md): TOO_MANY_REQUESTS (HTTP 429) with the
 * limit's name and when to try again, sent as `appError` and as the Retry-After header (trpc.ts).
 */
export function tooManyRequests(limit: string, retryAfterSeconds: number, message: string): TRPCError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return appError('TOO_MANY_REQUESTS', message, { code: 'RATE_LIMITED', limit, retryAfterSeconds: seconds });
}

/** The Retry-After (seconds) a tRPC error asks for, if it is a limit's refusal. */
export function retryAfterOfError(error: TRPCError): number | undefined {
  const data = error.cause instanceof AppError ? error.cause.data : undefined;
  return data?.code === 'RATE_LIMITED' ? data.retryAfterSeconds : undefined;
}
