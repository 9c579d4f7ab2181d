import { RevmemoError } from '../errors';

/** Exit codes: scripts can tell a failure from a refusal from their own mistake. */
export const EXIT = {
  ok: 0,
  /** The analysis failed or was canceled, or the server/network failed. */
  failure: 1,
  /** Bad arguments, a missing API key, an unconfirmed analyze without a terminal. */
  usage: 2,
  /** The server said no to this request as it stands: credits, limits, an expired quote, rate limits. */
  refused: 3,
  /** Unknown analysis or a rejected API key. */
  notFoundOrUnauthorized: 4,
  /** Ctrl-C (the analysis keeps running on the server). */
  interrupted: 130,
} as const;

export class UsageError extends Error {}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof RevmemoError) {
    if (err.refusal) return EXIT.refused;
    if (err.code === 'NOT_FOUND' || err.code === 'UNAUTHORIZED' || err.code === 'FORBIDDEN')
      return EXIT.notFoundOrUnauthorized;
    if (err.code === 'BAD_REQUEST') return EXIT.usage;
  }
  return EXIT.failure;
}

/** The error as JSON for --json output. */
export function errorJson(err: unknown) {
  if (err instanceof RevmemoError)
    return { error: { ...err.info, message: err.message, status: err.status } };
  return {
    error: {
      code: err instanceof UsageError ? 'USAGE' : 'FAILURE',
      message: (err as Error)?.message ?? String(err),
    },
  };
}
