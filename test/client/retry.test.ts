import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRevmemoClient, type RetryInfo, RevmemoError } from '@revmemo/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { startProductStack } from '../support/stack';
import { createApiKey } from './support';

let stack: Awaited<ReturnType<typeof startProductStack>>;
let apiKey: string;

/**
 * A real HTTP hop in front of the real server, answering the first `refuse` requests itself with
 * the given status and Retry-After (as a server does while its database is down, or a proxy's rate
 * limit), and passing everything else through.
 */
async function frontDoor(refuse: number, status: 429 | 503, retryAfter: string) {
  let seen = 0;
  const upstream = new URL(stack.url);
  const server: Server = createServer((req, res) => {
    seen += 1;
    if (seen <= refuse) {
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': retryAfter });
      res.end(
        JSON.stringify({
          error: {
            message: status === 503 ? 'The service is briefly unavailable.' : 'Too many requests.',
            code: -32603,
            data: { code: status === 503 ? 'SERVICE_UNAVAILABLE' : 'TOO_MANY_REQUESTS', httpStatus: status },
          },
        }),
      );
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

beforeAll(async () => {
  // The default quote limit (the suite's stacks run with generous ones): the last test reaches it.
  stack = await startProductStack({ extraEnv: { RATE_LIMIT_QUOTE: '30/1m' } });
  const user = await signUp(stack.url);
  apiKey = await createApiKey(stack.url, user.cookie);
});
afterAll(async () => {
  await stack?.stop();
});

describe('the client retries 503 and 429 by itself, within bounds', () => {
  it('waits what Retry-After says after a 503, then succeeds', async () => {
    const door = await frontDoor(2, 503, '1');
    const retries: RetryInfo[] = [];
    const client = createRevmemoClient({ baseUrl: door.url, apiKey, onRetry: (r) => retries.push(r) });
    const direct = createRevmemoClient({ baseUrl: stack.url, apiKey });
    expect(await client.balance()).toEqual(await direct.balance());
    expect(door.requests()).toBe(3);
    expect(retries.map((r) => [r.reason, r.delayMs, r.attempt])).toEqual([
      ['SERVICE_UNAVAILABLE', 1000, 1],
      ['SERVICE_UNAVAILABLE', 1000, 2],
    ]);
    await door.close();
  });

  it('retries a submit through a 429 (the same idempotency key: one analysis)', async () => {
    const direct = createRevmemoClient({ baseUrl: stack.url, apiKey });
    const quote = await direct.quoteText(SMALL_CONTRACT);
    const door = await frontDoor(1, 429, '0');
    const client = createRevmemoClient({ baseUrl: door.url, apiKey });
    const submitted = await client.submit(quote.quoteId);
    expect(submitted.created).toBe(true);
    expect(door.requests()).toBe(2);
    const page = await direct.list();
    expect(page.items.filter((a) => a.analysisId === submitted.analysisId)).toHaveLength(1);
    await door.close();
  });

  it('gives up after maxAttempts with SERVICE_UNAVAILABLE and the server’s retry-after', async () => {
    const door = await frontDoor(100, 503, '1');
    const client = createRevmemoClient({ baseUrl: door.url, apiKey, retry: { maxAttempts: 3 } });
    const err = await client.balance().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevmemoError);
    expect((err as RevmemoError).info).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterMs: 1000 });
    expect((err as RevmemoError).transient).toBe(true);
    expect(door.requests()).toBe(3);
    await door.close();
  });

  it('does not sit out a Retry-After longer than maxDelayMs: it says when to come back', async () => {
    const door = await frontDoor(100, 429, '120');
    const client = createRevmemoClient({ baseUrl: door.url, apiKey });
    const err = (await client.balance().catch((e: unknown) => e)) as RevmemoError;
    expect(err.info).toEqual({ code: 'RATE_LIMITED', retryAfterMs: 120_000 });
    expect(err.refusal).toBe(true);
    expect(door.requests()).toBe(1);
    await door.close();
  });

  it("surfaces the server's quote limit (per API key) as RATE_LIMITED with retry-after", async () => {
    const client = createRevmemoClient({ baseUrl: stack.url, apiKey, retry: { maxDelayMs: 1000 } });
    const file = [{ filename: 'msa.txt', data: new TextEncoder().encode(SMALL_CONTRACT) }];
    let err: unknown = null;
    for (let i = 0; i < 40 && !err; i++)
      err = await client.quoteFiles(file).then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(RevmemoError);
    const info = (err as RevmemoError).info;
    expect(info).toMatchObject({ code: 'RATE_LIMITED', limit: 'quote' });
    expect(info.code === 'RATE_LIMITED' && info.retryAfterMs).toBeGreaterThan(1000);
  });
});
