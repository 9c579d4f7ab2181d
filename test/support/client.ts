import { createRevmemoTRPCClient } from '@revmemo/client/trpc';

export interface TestUser {
  email: string;
  password: string;
  cookie: string;
}

/** Signs a user up through Better Auth's HTTP API and keeps the session cookie. */
export async function signUp(
  baseUrl: string,
  email = `u${Math.random().toString(36).slice(2, 10)}@example.com`,
): Promise<TestUser> {
  const password = 'correct horse battery staple';
  const res = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password, name: email.split('@')[0] }),
  });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  return { email, password, cookie: cookieHeader(res) };
}

function cookieHeader(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** A typed tRPC client: batched HTTP for calls, SSE (EventSource) for subscriptions, cookie auth. */
export function trpcClient(baseUrl: string, cookie?: string) {
  return createRevmemoTRPCClient({ baseUrl, cookie });
}

export type TestClient = ReturnType<typeof trpcClient>;
