import type { ApiDeps } from './deps';

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

/** Resolves the Better Auth session (cookie, or API key header) from the request headers. */
export async function createContext(deps: ApiDeps, headers: Headers): Promise<Context> {
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
