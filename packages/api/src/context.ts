import { getUserById } from '@revmemo/db';
import type { ApiDeps } from './deps';
import { isDependencyUnavailable, serviceUnavailable } from './errors';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: string;
}

export interface Context {
  deps: ApiDeps;
  user: SessionUser | null;
}

/**
 * Resolves the caller from an API key (`x-api-key`, for integrations) or the Better Auth session
 * cookie. The lookup needs PostgreSQL: while it is unreachable this throws SERVICE_UNAVAILABLE (503).
 */
export async function createContext(deps: ApiDeps, headers: Headers): Promise<Context> {
  try {
    return await resolveContext(deps, headers);
  } catch (err) {
    if (isDependencyUnavailable(err)) throw serviceUnavailable(err);
    throw err;
  }
}

async function resolveContext(deps: ApiDeps, headers: Headers): Promise<Context> {
  const key = headers.get('x-api-key');
  if (key) return { deps, user: await userFromApiKey(deps, key) };
  const session = await deps.auth.api.getSession({ headers });
  const u = session?.user as
    | (typeof session extends null ? never : { id: string; email: string; name: string; role?: unknown })
    | undefined;
  return {
    deps,
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

async function userFromApiKey(deps: ApiDeps, key: string): Promise<SessionUser | null> {
  const result = await deps.auth.api.verifyApiKey({ body: { key } });
  if (!result.valid || !result.key) return null;
  const row = await getUserById(deps.db, result.key.referenceId);
  return row ? { id: row.id, email: row.email, name: row.name, role: row.role } : null;
}
