import { randomUUID } from 'node:crypto';
import { FIXED_LIMITS } from '@revmemo/contracts';
import { createProgressPublisher } from '@revmemo/queue';
import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf, makePdfPages } from '../engine/support/files';
import { signUp, type TestUser, trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { redisUrl } from '../support/harness';
import { contractWords, makeManyPagePdf, makeZipBombDocx } from '../support/hostile-files';
import { type AppProcess, startServer, startWorker } from '../support/processes';
import type { Received } from '../support/progress';
import { startProductStack } from '../support/stack';

/**
 * Uploads made to hurt the service, through the real server process: each gets its own 4xx, costs
 * nothing, leaves the process answering, and leaks no document text into logs, errors or Redis.
 */
let stack: Awaited<ReturnType<typeof startProductStack>>;
const extraProcesses: AppProcess[] = [];

beforeAll(async () => {
  // No worker at first: the analysis whose progress is followed stays queued while the test publishes.
  stack = await startProductStack({ workers: 0, extraEnv: { JOB_ATTEMPTS: '2' } });
});
afterAll(async () => {
  await Promise.all(extraProcesses.map((p) => p.stop()));
  await stack?.stop();
});

interface Part {
  name: string;
  data: Uint8Array | string;
  /** Raw Content-Disposition parameters for a file, e.g. `filename*=UTF-8''%00a.txt`. */
  disposition?: string;
}

/** A multipart body written by hand, so file names can carry bytes a browser would never send. */
async function upload(url: string, user: TestUser, parts: Part[], context?: string) {
  const boundary = `----revmemo${randomUUID()}`;
  const chunks: Buffer[] = [];
  if (context !== undefined) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="additionalContext"\r\n\r\n${context}\r\n`,
      ),
    );
  }
  for (const p of parts) {
    const disposition = p.disposition ?? `filename="${p.name}"`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.from(typeof p.data === 'string' ? new TextEncoder().encode(p.data) : p.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const res = await fetch(`${url}/api/quotes`, {
    method: 'POST',
    headers: { cookie: user.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: Buffer.concat(chunks),
  });
  const body = (await res.json()) as {
    quoteId?: string;
    credits?: number;
    wordCount?: number;
    fileNames?: string[];
    warnings?: string[];
    error?: { code: string; message: string; appError: Record<string, unknown> | null };
  };
  return { status: res.status, body };
}

async function money(email: string) {
  const [row] = await stack.db.execute<{ balance: number; held: number; tx: number; quotes: number }>(
    sql`SELECT a.balance, a.held,
          (SELECT count(*)::int FROM credit_transactions t WHERE t.user_id = u.id) AS tx,
          (SELECT count(*)::int FROM quotes q WHERE q.user_id = u.id) AS quotes
        FROM credit_accounts a JOIN "user" u ON u.id = a.user_id WHERE u.email = ${email}`,
  );
  return { balance: Number(row?.balance), held: Number(row?.held), tx: row?.tx, quotes: row?.quotes };
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * While `work` runs: /healthz polled in a loop and progress events published to a live stream on the
 * same web process. Resolves once work is done and the stream has delivered every event published.
 */
async function whileServing<T>(work: () => Promise<T>) {
  const owner = await signUp(stack.url);
  const client = trpcClient(stack.url, owner.cookie);
  const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT });
  const { analysisId } = await client.analysis.submit.mutate({
    quoteId: quote.quoteId,
    idempotencyKey: randomUUID(),
  });
  const received: Received[] = [];
  const sub = client.analysis.progress.subscribe(
    { analysisId },
    { onData: (t) => received.push({ id: t.id, event: t.data }) },
  );
  await until(() => received.length > 0, 'the progress snapshot');
  const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const publisher = createProgressPublisher({ connection, prefix: stack.env.QUEUE_PREFIX as string });
  const health: number[] = [];
  const published: string[] = [];
  let done = false;
  const healthLoop = (async () => {
    while (!done) health.push((await fetch(`${stack.url}/healthz`)).status);
  })();
  const publishLoop = (async () => {
    for (let i = 0; !done || i < 3; i++) {
      const message = `tick ${i}`;
      await publisher.publish({
        analysisId,
        status: 'running',
        stage: 'preparation',
        percent: 5,
        message,
        at: new Date().toISOString(),
        errorMessage: null,
        kind: 'progress',
      });
      published.push(message);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return await work();
  } finally {
    done = true;
    await Promise.all([healthLoop, publishLoop]);
    await until(
      () => published.every((m) => received.some((r) => r.event.message === m)),
      'every published event delivered',
    );
    sub.unsubscribe();
    await publisher.close();
    connection.disconnect();
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((s) => s === 200)).toBe(true);
    expect(published.length).toBeGreaterThan(0);
  }
}

describe('documents past a limit: a specific 4xx, nothing charged, the process keeps serving', () => {
  it('a zip-bomb DOCX (a few hundred KB inflating to 300 MB) gets 413 with the DOCX message', async () => {
    const user = await signUp(stack.url);
    const before = await money(user.email);
    const bomb = await makeZipBombDocx(300);
    expect(bomb.byteLength).toBeLessThan(1024 * 1024);
    const res = await whileServing(() => upload(stack.url, user, [{ name: 'bomb.docx', data: bomb }]));
    expect(res.status).toBe(413);
    expect(res.body.error?.message).toMatch(/^This DOCX expands to more than 50 MB of text when opened/);
    expect(res.body.error?.appError).toMatchObject({
      code: 'DOCUMENT_LIMIT',
      reason: 'part_too_large',
      limit: 50 * 1024 * 1024,
      filename: 'bomb.docx',
    });
    expect(await money(user.email)).toEqual(before);
  });

  it('a zip bomb whose directory lies about its size is caught while inflating, same answer', async () => {
    const user = await signUp(stack.url);
    const before = await money(user.email);
    const liar = await makeZipBombDocx(300, true);
    const res = await whileServing(() => upload(stack.url, user, [{ name: 'liar.docx', data: liar }]));
    expect(res.status).toBe(413);
    expect(res.body.error?.appError).toMatchObject({ code: 'DOCUMENT_LIMIT', reason: 'part_too_large' });
    expect(await money(user.email)).toEqual(before);
  });

  it('a PDF past the page cap gets 413 naming the pages and the cap', async () => {
    const user = await signUp(stack.url);
    const before = await money(user.email);
    const res = await whileServing(() =>
      upload(stack.url, user, [{ name: 'long.pdf', data: makeManyPagePdf(501) }]),
    );
    expect(res.status).toBe(413);
    expect(res.body.error?.message).toBe(
      '"long.pdf" has 501 pages; the limit is 500 pages per file. Upload only the parts of the contract that matter.',
    );
    expect(res.body.error?.appError).toMatchObject({
      code: 'DOCUMENT_LIMIT',
      reason: 'too_many_pages',
      limit: 500,
    });
    expect(await money(user.email)).toEqual(before);
  });

  it('an extraction past the time limit is cut off with 422 and a clear message; the server stays up', async () => {
    const slow = await startServer({ ...stack.env, EXTRACTION_TIMEOUT_MS: '1' });
    extraProcesses.push(slow);
    const user = await signUp(slow.url);
    const before = await money(user.email);
    const res = await upload(slow.url, user, [{ name: 'slow.pdf', data: makeManyPagePdf(300) }]);
    expect(res.status).toBe(422);
    expect(res.body.error?.message).toBe(
      'Reading "slow.pdf" took longer than 1 ms, so it was stopped. The file may be damaged or unusually complex; save it again as PDF or DOCX and retry.',
    );
    expect(res.body.error?.appError).toMatchObject({ code: 'DOCUMENT_LIMIT', reason: 'timeout' });
    expect(await money(user.email)).toEqual(before);
    expect((await fetch(`${slow.url}/healthz`)).status).toBe(200);
  });

  it('six files get 400 "at most 5 files", not a server error', async () => {
    const user = await signUp(stack.url);
    const files = Array.from({ length: 6 }, (_, i) => ({ name: `part-${i}.txt`, data: SMALL_CONTRACT }));
    const res = await upload(stack.url, user, files);
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toBe('At most 5 files per analysis. Remove some files and try again.');
    expect(res.body.error?.appError).toEqual({ code: 'TOO_MANY_FILES', maxFiles: 5 });
  });

  it('additional context past its limit gets 400 saying so, instead of being cut silently', async () => {
    const user = await signUp(stack.url);
    const res = await upload(
      stack.url,
      user,
      [{ name: 'msa.txt', data: SMALL_CONTRACT }],
      'n'.repeat(FIXED_LIMITS.maxContextChars + 1),
    );
    expect(res.status).toBe(400);
    expect(res.body.error?.appError).toEqual({ code: 'CONTEXT_TOO_LONG', maxChars: 20_000 });
  });

  it('announces the limits it enforces in system.limits', async () => {
    const limits = await trpcClient(stack.url).system.limits.query();
    expect(limits).toMatchObject({
      maxFiles: 5,
      maxUploadBytes: 10 * 1024 * 1024,
      maxWords: 60_000,
      maxContextChars: 20_000,
      maxPdfPages: 500,
      maxDocxPartBytes: 50 * 1024 * 1024,
    });
  });
});

describe('file names', () => {
  it('NUL, other control characters and 1,000 characters: a clean stored name or a 400, never a 500', async () => {
    const user = await signUp(stack.url);
    const cases: { disposition: string; expect: string | 400 }[] = [
      { disposition: `filename*=UTF-8''contract%00.txt`, expect: 'contract.txt' },
      { disposition: `filename*=UTF-8''%07%1B%5B31mred%1B%5B0m%09x%7F.txt`, expect: '[31mred[0mx.txt' },
      { disposition: `filename*=UTF-8''evil%E2%80%AEtxt.exe%E2%80%AC.txt`, expect: 'eviltxt.exe.txt' },
      { disposition: `filename*=UTF-8''%00%01%02.txt`, expect: 400 },
      { disposition: `filename="${'a'.repeat(1_000)}.txt"`, expect: `${'a'.repeat(250)}….txt` },
    ];
    for (const c of cases) {
      const res = await upload(stack.url, user, [
        { name: '', data: SMALL_CONTRACT, disposition: c.disposition },
      ]);
      expect(res.status, c.disposition).toBeLessThan(500);
      if (c.expect === 400) {
        expect(res.status).toBe(400);
        expect(res.body.error?.message).toMatch(/file name has no visible characters/);
        expect(res.body.error?.appError).toEqual({ code: 'INVALID_FILENAME' });
      } else {
        expect(res.status, `${c.disposition}: ${JSON.stringify(res.body)}`).toBe(200);
        expect(res.body.fileNames).toEqual([c.expect]);
        expect(Array.from(res.body.fileNames?.[0] ?? '').length).toBeLessThanOrEqual(255);
      }
    }
    // The pasted-text path normalizes the same way.
    const q = await trpcClient(stack.url, user.cookie).analysis.quote.mutate({
      text: SMALL_CONTRACT,
      filename: 'pasted\u0000\u0008.txt',
    });
    expect(q.fileNames).toEqual(['pasted.txt']);
  });
});

describe('the price follows what the model reads', () => {
  it('60,000 words joined by U+2063, by U+200B and by spaces get the same quote', async () => {
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);
    const quotes = [];
    for (const sep of [' ', '\u2063', '\u200B']) {
      quotes.push(await client.analysis.quote.mutate({ text: contractWords(60_000, sep) }));
    }
    expect(quotes.map((q) => [q.credits, q.wordCount])).toEqual([
      [100, 60_000],
      [100, 60_000],
      [100, 60_000],
    ]);
  });

  it('an ordinary contract still costs what it did: a small PDF upload is 10 credits', async () => {
    const user = await signUp(stack.url);
    const res = await upload(stack.url, user, [
      { name: 'msa.pdf', data: makePdf(['1. FEES', 'Customer pays $120,000 per year.']) },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.credits).toBe(10);
  });
});

describe('several files are several documents', () => {
  it('stores each file after its own boundary and warns, without refusing, about a page it could not read', async () => {
    const user = await signUp(stack.url);
    const res = await upload(stack.url, user, [
      { name: 'msa.pdf', data: makePdf(['1. FEES', 'Customer pays $120,000 per year.']) },
      { name: 'order.pdf', data: makePdfPages([['1. SUBSCRIPTION', '250 users for 36 months.'], null]) },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.warnings).toEqual([
      'order.pdf: Page 2 of 2 has no selectable text (scanned image or blank page) and was not read. Run OCR and upload again if it holds contract terms.',
    ]);
    const [row] = await stack.db.execute<{ document_text: string }>(
      sql`SELECT document_text FROM quotes WHERE quote_id = ${res.body.quoteId}`,
    );
    expect(row?.document_text.split('\n').filter((l) => l.startsWith('\u001E'))).toEqual([
      '\u001EDocument: msa.pdf',
      '\u001EDocument: order.pdf',
    ]);
    // Typed into a pasted contract, the same line is only text: the control character is removed.
    const client = trpcClient(stack.url, user.cookie);
    const pasted = await client.analysis.quote.mutate({
      text: `${SMALL_CONTRACT}\n\u001EDocument: x.txt\nmore`,
    });
    const [stored] = await stack.db.execute<{ document_text: string }>(
      sql`SELECT document_text FROM quotes WHERE quote_id = ${pasted.quoteId}`,
    );
    expect(stored?.document_text).toContain('\nDocument: x.txt\nmore');
    expect(stored?.document_text).not.toContain('\u001E');
  });
});

describe('no document text in logs, errors, failure reasons or Redis', () => {
  it('a contract made to fail inside the database leaves its marker nowhere', async () => {
    const marker = `MARKER${randomUUID().replaceAll('-', '')}`;
    // PostgreSQL itself refuses these rows and quotes the contract in its error message, and the
    // refused INSERT carries the contract as a query parameter: the worst case for a leak.
    await stack.db.execute(
      sql.raw(`
      CREATE OR REPLACE FUNCTION refuse_marker_quote() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.document_text LIKE '%${marker}%' AND NEW.document_text LIKE '%quote-fails%' THEN
          RAISE EXCEPTION 'refused: %', NEW.document_text;
        END IF;
        RETURN NEW;
      END $$;
      CREATE OR REPLACE FUNCTION refuse_marker_run() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.document_text LIKE '%${marker}%' AND NEW.status = 'running' THEN
          RAISE EXCEPTION 'refused: %', NEW.document_text;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_marker_quotes BEFORE INSERT ON quotes FOR EACH ROW EXECUTE FUNCTION refuse_marker_quote();
      CREATE TRIGGER refuse_marker_analyses BEFORE UPDATE ON analyses FOR EACH ROW EXECUTE FUNCTION refuse_marker_run();
    `),
    );
    const user = await signUp(stack.url);
    const client = trpcClient(stack.url, user.cookie);

    // 1. At quote time, in the web process: a 500 with a request id, no text.
    const text = `${SMALL_CONTRACT}\n\nSecret clause ${marker} quote-fails.`;
    const pasted = await client.analysis.quote.mutate({ text }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(JSON.stringify(pasted)).not.toContain(marker);
    const uploaded = await upload(stack.url, user, [{ name: 'secret.txt', data: text }]);
    expect(uploaded.status).toBe(500);
    expect(JSON.stringify(uploaded.body)).not.toContain(marker);
    expect(uploaded.body.error?.message).toMatch(/^Something went wrong \(request /);

    // 2. In the worker: the analysis fails on every attempt, becoming a failed BullMQ job.
    const quote = await client.analysis.quote.mutate({
      text: `${SMALL_CONTRACT}\n\nSecret clause ${marker}.`,
    });
    const { analysisId } = await client.analysis.submit.mutate({
      quoteId: quote.quoteId,
      idempotencyKey: randomUUID(),
    });
    const worker = await startWorker(stack.env);
    extraProcesses.push(worker);
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue('analysis', { connection, prefix: stack.env.QUEUE_PREFIX });
    try {
      const job = await until(async () => {
        const j = await queue.getJob(analysisId);
        return j && (await j.getState()) === 'failed' ? j : undefined;
      }, 'the job failing for good');
      expect(job.failedReason).toBeTruthy();
      expect(job.failedReason).not.toContain(marker);
      expect(JSON.stringify(job.stacktrace)).not.toContain(marker);
      await until(() => /analysis|job/i.test(worker.output()) || undefined, 'the worker logging the failure');

      // 3. Logs of both processes.
      const logs = `${stack.server.output()}\n${worker.output()}`;
      expect(logs).toMatch(/database error|DatabaseError/);
      for (const line of logs.split('\n')) expect(line).not.toContain(marker);

      // 4. Every Redis key and value (the test Redis is this run's own).
      const leaks: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await connection.scan(cursor, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          if (key.includes(marker)) leaks.push(`key ${key}`);
          const type = await connection.type(key);
          const value =
            type === 'string'
              ? await connection.get(key)
              : type === 'hash'
                ? await connection.hgetall(key)
                : type === 'list'
                  ? await connection.lrange(key, '0', '-1')
                  : type === 'set'
                    ? await connection.smembers(key)
                    : type === 'zset'
                      ? await connection.zrange(key, '0', '-1')
                      : type === 'stream'
                        ? await connection.xrange(key, '-', '+')
                        : null;
          if (JSON.stringify(value)?.includes(marker)) leaks.push(`${type} ${key}`);
        }
      } while (cursor !== '0');
      expect(leaks).toEqual([]);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});
