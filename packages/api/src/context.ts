import { getUserById } from '@revmemo/db';
import type { ApiDeps } from './deps';
import { isDependencyUnavailable, serviceUnavailable } from './errors';
import type { LimitSubject } from './rate-limits';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: string;
}

export interface Context {
  deps: ApiDeps;
  user: SessionUser | null;
  /** The API key's id when the caller used `x-api-key`: integrations are limited per key. */
  apiKeyId: string | null;
  /** The client's address as Fastify trusts it (TRUST_PROXY); limits key on it only when anonymous. */
  address: string;
}

/**
 * Resolves the caller from an API key (`x-api-key`, for integrations) or the Better Auth session
 * cookie. The lookup needs PostgreSQL: while it is unreachable this throws SERVICE_UNAVAILABLE (503).
 */
export async function createContext(
  deps: ApiDeps,
  headers: Headers,
  address = 'unknown',
  { trustCookieCache = false }: { trustCookieCache?: boolean } = {},
): Promise<Context> {
  try {
    return { ...(await resolveContext(deps, headers, trustCookieCache)), address };
  } catch (err) {
    if (isDependencyUnavailable(err)) throw serviceUnavailable(err);
    throw err;
  }
}

async function resolveContext(
  deps: ApiDeps,
  headers: Headers,
  trustCookieCache: boolean,
): Promise<Omit<Context, 'address'>> {
  const key = headers.get('x-api-key');
  if (key) {
    const found = await userFromApiKey(deps, key);
    return { deps, user: found?.user ?? null, apiKeyId: found?.keyId ?? null };
  }
  // The signed session cookie cache (auth.ts) is trusted only by read-only progress streams, where a
  // reconnect storm would otherwise read a session per stream; everything else reads the stored
  // session, so a sign-out, password reset or role change takes effect at once (docs/accounts.md).
  const session = await deps.auth.api.getSession({
    headers,
    query: { disableCookieCache: !trustCookieCache },
  });
  const u = session?.user as
    | (typeof session extends null ? never : { id: string; email: string; name: string; role?: unknown })
    | undefined;
  return {
    deps,
    apiKeyId: null,
    user: u
      ? { id: u.id, email: u.email, name: u.name, role: typeof u.role === 'string' ? u.role : 'user' }
      : null,
  };
}

/** Fastify/Node headers -> Fetch Headers (Better Auth speaks Fetch). */
export function toFetchHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) headers.append(k, value);
  }
  return headers;
}

async function userFromApiKey(
  deps: ApiDeps,
  key: string,
): Promise<{ user: SessionUser; keyId: string } | null> {
  const result = await deps.auth.api.verifyApiKey({ body: { key } });
  if (!result.valid || !result.key) return null;
  const row = await getUserById(deps.db, result.key.referenceId);
  return row
    ? { user: { id: row.id, email: row.email, name: row.name, role: row.role }, keyId: result.key.id }
    : null;
}

/** Whom a limit counts against: the API key, else the account, else (anonymous) the address. */
export function limitSubjectOf(ctx: Pick<Context, 'user' | 'apiKeyId' | 'address'>): LimitSubject {
  if (ctx.apiKeyId) return { apiKey: ctx.apiKeyId };
  if (ctx.user) return { user: ctx.user.id };
  return { address: ctx.address };
}
