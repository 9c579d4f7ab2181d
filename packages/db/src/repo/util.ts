import { InvalidCursorError } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Postgres rejects a malformed uuid with an error; callers asking for one simply find nothing. */
export const isUuid = (s: string) => UUID.test(s);

/** Opaque keyset cursors: base64url of the last row's key, so clients cannot build or read them. */
export function encodeCursor(key: string | number): string {
  return Buffer.from(JSON.stringify([key])).toString('base64url');
}

export function decodeCursor<T extends string | number>(cursor: string, valid: (v: unknown) => v is T): T {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 1 && valid(parsed[0])) return parsed[0];
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}

export const clampLimit = (limit: number | undefined, def = 20, max = 100) =>
  Math.max(1, Math.min(max, Math.trunc(limit ?? def)));
