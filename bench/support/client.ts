import { createRevmemoTRPCClient } from '@revmemo/client/trpc';

export interface BenchUser {
  email: string;
  cookie: string;
}

/** Signs a user up through Better Auth's HTTP API (as a browser does) and keeps the session cookie. */
export async function signUp(baseUrl: string, email: string): Promise<BenchUser> {
  const res = await fetch(`${baseUrl}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password: 'correct horse battery staple', name: email.split('@')[0] }),
  });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { email, cookie };
}

/** The client the web app uses: batched HTTP for calls, SSE (EventSource) for subscriptions. */
export function trpcClient(baseUrl: string, cookie: string) {
  return createRevmemoTRPCClient({ baseUrl, cookie });
}

export type BenchClient = ReturnType<typeof trpcClient>;

/** A short services agreement: the quote the benchmarks submit (10 credits at the default tiers). */
export const CONTRACT = `MASTER SUBSCRIPTION AGREEMENT

This Master Subscription Agreement is entered into on January 15, 2026 between Northwind Software Inc. ("Provider") and Contoso Manufacturing LLC ("Customer").

1. Subscription. Provider grants Customer access to the Northwind Analytics platform for 250 named users for a term of thirty-six (36) months beginning February 1, 2026.

2. Fees. Customer will pay an annual subscription fee of $120,000, invoiced annually in advance, and a one-time implementation fee of $30,000 invoiced on signature. Payment terms are net 30 days.

3. Governing Law. This Agreement is governed by the laws of the State of Delaware.
`;
