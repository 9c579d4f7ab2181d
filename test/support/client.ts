import { createRevmemoTRPCClient } from '@revmemo/client/trpc';
import { mailedLinkFromLog } from './processes';

export interface TestUser {
  email: string;
  password: string;
  cookie: string;
}

/**
 * Signs a user up through Better Auth's HTTP API and keeps the session cookie. Then, as a user
 * would, follows the verification link (read from the server's log: tests run without MAIL_URL), so
 * the user has the welcome credits; `{ verify: false }` leaves the email unverified and the balance 0.
 */
export async function signUp(
  baseUrl: string,
  email = `u${Math.random().toString(36).slice(2, 10)}@example.com`,
  opts: { verify?: boolean } = {},
): Promise<TestUser> {
  const password = 'correct horse battery staple';
  const res = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password, name: email.split('@')[0] }),
  });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const user = { email, password, cookie: cookieHeader(res) };
  if (opts.verify !== false)
    await followVerificationLink(await mailedLinkFromLog(baseUrl, email), user.cookie);
  return user;
}

/** GETs an emailed verification link; it must redirect to the "email verified" page without an error. */
export async function followVerificationLink(link: string, cookie?: string): Promise<Response> {
  const res = await fetch(link, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const location = res.headers.get('location') ?? '';
  if (res.status !== 302 || !location.includes('/email-verified') || location.includes('error='))
    throw new Error(`verification failed: ${res.status} ${location} ${await res.text()}`);
  return res;
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
