import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRevmemoClient, RevmemoError } from '@revmemo/client';
import { PIPELINE_STAGES, type ProgressEvent } from '@revmemo/contracts';
import { createRedisConnection } from '@revmemo/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { type AppProcess, spawnApp } from '../support/processes';
import { startProductStack } from '../support/stack';
import { compareStreamIds, createApiKey, type InstalledClient, packAndInstallClient, start } from './support';

let stack: Awaited<ReturnType<typeof startProductStack>>;
let pkg: InstalledClient;
let restarted: AppProcess | null = null;

beforeAll(async () => {
  // Each model call takes a while, so an analysis is still running when the server restarts.
  stack = await startProductStack({ latencyMs: 1500 });
  pkg = await packAndInstallClient(); // after the stack: a server starting beside a build can miss its start timeout
  await writeFile(join(pkg.dir, 'msa.txt'), SMALL_CONTRACT);
});
afterAll(async () => {
  await restarted?.stop();
  await stack?.stop();
  await pkg?.cleanup();
});

async function integrator() {
  const user = await signUp(stack.url);
  const apiKey = await createApiKey(stack.url, user.cookie);
  return {
    sdk: createRevmemoClient({ baseUrl: stack.url, apiKey }),
    env: { REVMEMO_URL: stack.url, REVMEMO_API_KEY: apiKey },
  };
}

/** Runs the command on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function onTerminal(args: string[], env: Record<string, string>) {
  const command = [pkg.bin, ...args].map((a) => `'${a}'`).join(' ');
  return start('script', ['-qfec', command, '/dev/null'], { cwd: pkg.dir, env: { ...env, TERM: 'xterm' } });
}

const ESC = String.fromCharCode(27);
/** What the bar writes before each draw: carriage return, erase the line (as a RegExp source). */
const REDRAW = '\\r\\u001b\\[2K';

interface WatchLine {
  type: 'event' | 'reconnecting' | 'result';
  n?: number;
  id?: string;
  kind?: string;
  stage?: string;
  status?: string;
}

describe('revmemo analyze on a terminal and in a pipe', () => {
  it('asks before spending credits on a terminal', async () => {
    const { sdk, env } = await integrator();
    const before = await sdk.balance();
    const cli = onTerminal(['analyze', 'msa.txt'], env);
    await cli.waitForOutput(/\[y\/N\]/);
    cli.write('n\r');
    const { code, stdout } = await cli.done;
    expect(stdout).toMatch(/Price: \d+ credits/);
    expect(stdout).toContain('Not started');
    expect(code).toBe(0);
    expect(await sdk.balance()).toEqual(before);
  });

  it('redraws one progress line on a terminal, says how to re-attach on Ctrl-C, and prints plain lines in a pipe', async () => {
    const { env } = await integrator();
    const cli = onTerminal(['analyze', 'msa.txt', '--yes'], env);
    // Two redraws of the bar, then Ctrl-C.
    await cli.waitForOutput(new RegExp(`${REDRAW}[^\\n]*%[\\s\\S]*${REDRAW}[^\\n]*%`));
    cli.write('\x03');
    const tty = await cli.done;
    expect(tty.code).toBe(130);
    const id = /revmemo watch ([0-9a-f-]{36})/.exec(tty.stdout)?.[1];
    expect(id, tty.stdout).toBeDefined();
    expect(tty.stdout).toContain('keeps running on the server');
    const barLines = tty.stdout.split('\n').filter((l) => l.includes('%'));
    const redraws = tty.stdout.split('\r\x1b[2K').length - 1;
    expect(redraws).toBeGreaterThan(barLines.length); // many draws, few lines: the bar redraws in place
    expect(barLines.length).toBeLessThanOrEqual(2);

    const piped = await start(pkg.bin, ['watch', id ?? ''], { cwd: pkg.dir, env }).done;
    expect(piped.code).toBe(0);
    expect(piped.stdout).not.toContain('\r');
    expect(piped.stdout).not.toContain(ESC);
    const progressLines = piped.stdout.split('\n').filter((l) => /^\[\s*\d+%\] /.test(l));
    expect(progressLines.length).toBeGreaterThan(1);
    expect(progressLines.at(-1)).toMatch(/^\[100%\] /);
    expect(piped.stdout).toContain(`revmemo get ${id}`);
  });
});

describe('revmemo analyze in a pipe, with a model that streams its answers', () => {
  it('prints a line per new finding of the step, not one per partial event', async () => {
    const { env } = await integrator();
    // Each answer streams over 1.5 s (the stack's other tests keep their slow, unstreamed model).
    await stack.sim.configure({ latencyMs: 0, streamMs: 1_500, streamChunks: 300 });
    let piped: Awaited<ReturnType<typeof start>['done']>;
    try {
      piped = await start(pkg.bin, ['analyze', 'msa.txt', '--yes'], { cwd: pkg.dir, env }).done;
    } finally {
      await stack.sim.configure({ latencyMs: 1500, streamMs: 0, streamChunks: 0 });
    }
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).not.toContain('\r');
    expect(piped.stdout).not.toContain(ESC);
    const analysisId = /Analysis ([0-9a-f-]{36}) started/.exec(piped.stdout)?.[1] as string;
    expect(analysisId, piped.stdout).toBeDefined();

    // What the worker published, from the analysis's own Redis stream (analysisStreamKey in
    // packages/queue/src/progress-events.ts).
    const redis = createRedisConnection(stack.env.REDIS_URL as string);
    let published: ProgressEvent[];
    try {
      const entries = await redis.xrange(`${stack.env.QUEUE_PREFIX}:progress:${analysisId}`, '-', '+');
      published = entries.map(([, f]) => JSON.parse(f[f.indexOf('payload') + 1] as string) as ProgressEvent);
    } finally {
      redis.disconnect();
    }
    // From step 2 on (the CLI connects after submitting, so it may have missed step 1's first
    // partials): a finding line each time the finding changes within a step, none for a repeat.
    const from = published.findIndex((e) => e.kind === 'progress' && e.stage === 'obligations');
    const expected: string[] = [];
    let shown: string | null = null;
    for (const e of published.slice(from)) {
      if (e.kind !== 'partial') shown = null;
      else if (e.partial?.finding && e.partial.finding !== shown) {
        shown = e.partial.finding;
        expected.push(shown);
      }
    }
    const partials = published.slice(from).filter((e) => e.kind === 'partial');
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(partials.length);

    // `[ pp%] <stage message> · <finding> · <elapsed>`: a finding line has three parts.
    const lines = piped.stdout.split('\n');
    const step2Message = published[from]?.message as string;
    const step2 = lines.findIndex((l) => /^\[\s*\d+%\] /.test(l) && l.includes(`] ${step2Message} · `));
    expect(step2, piped.stdout).toBeGreaterThan(0);
    const findingLines = lines
      .slice(step2)
      .filter((l) => /^\[\s*\d+%\] /.test(l))
      .map((l) => l.split(' · '))
      .filter((parts) => parts.length === 3)
      .map((parts) => parts[1]);
    expect(findingLines, piped.stdout).toEqual(expected);
    expect(piped.stdout).toMatch(/performance obligations? identified/);
    expect(piped.stdout).toMatch(/Memo saved to /);
  }, 120_000);
});

describe('the SDK around a running analysis', () => {
  it('waitForResult gives up at its timeout and on an AbortSignal; the analysis goes on; pages list it all', async () => {
    const { sdk } = await integrator();
    const quote = await sdk.quoteText(SMALL_CONTRACT);
    const { analysisId } = await sdk.submit(quote.quoteId);

    const timedOut = await sdk.waitForResult(analysisId, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(RevmemoError);
    expect((timedOut as RevmemoError).info).toEqual({ code: 'TIMEOUT', timeoutMs: 200 });

    const controller = new AbortController();
    const seen: string[] = [];
    const aborted = await sdk
      .waitForResult(analysisId, {
        signal: controller.signal,
        onProgress: (e) => {
          seen.push(e.kind);
          controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect((aborted as RevmemoError).code).toBe('ABORTED');
    expect(seen).toEqual(['snapshot']);
    expect(['queued', 'running']).toContain((await sdk.get(analysisId)).status);

    const second = await sdk.submit((await sdk.quoteText(`${SMALL_CONTRACT}\nSchedule A.`)).quoteId);
    const firstPage = await sdk.list({ limit: 1 });
    expect(firstPage.items).toHaveLength(1);
    expect(firstPage.nextCursor).not.toBeNull();
    const all: string[] = [];
    for await (const a of sdk.listAll({ pageSize: 1 })) all.push(a.analysisId);
    expect(all.sort()).toEqual([analysisId, second.analysisId].sort());

    expect((await sdk.cancel(second.analysisId)).status).toBe('canceled');
    const done = await sdk.waitForResult(analysisId, { timeoutMs: 5 * 60_000 });
    expect(done.status).toBe('completed');
    const ledger: string[] = [];
    for await (const t of sdk.historyAll({ pageSize: 1 })) ledger.push(t.reason);
    expect(ledger).toEqual(['analysis_charge', 'adjustment']); // newest first; the cancel charged nothing
  });
});

// Last: it restarts the server the other tests use.
describe('revmemo watch', () => {
  it('resumes without a gap or a repeat after the web process restarts mid-analysis', {
    timeout: 300_000,
  }, async () => {
    const { sdk, env } = await integrator();
    const quote = await sdk.quoteText(SMALL_CONTRACT);
    const { analysisId } = await sdk.submit(quote.quoteId);

    const watch = start(pkg.bin, ['watch', analysisId, '--json'], { cwd: pkg.dir, env });
    await watch.waitForOutput(/"kind":"progress"/);
    const port = new URL(stack.url).port;
    await stack.server.stop();
    // The same address; a generous start timeout, as two busy cores can make a cold start slow.
    restarted = spawnApp('apps/server/src/main.ts', { WEBSITE_URL: stack.url, ...stack.env, PORT: port });
    await restarted.waitFor(/listening on/, 180_000);
    const { code, stdout, stderr } = await watch.done;
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as WatchLine);
    const events = lines.filter((l) => l.type === 'event');
    const reconnect = lines.findIndex((l) => l.type === 'reconnecting');
    expect(reconnect).toBeGreaterThan(0); // the stream really dropped…
    expect(lines.slice(reconnect).some((l) => l.type === 'event')).toBe(true); // …and went on after
    expect(events.map((e) => e.n)).toEqual(events.map((_, i) => i + 1));
    const ids = events.map((e) => e.id ?? '');
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort(compareStreamIds)).toEqual(ids);
    const stages = events.filter((e) => e.kind === 'progress').map((e) => e.stage);
    expect(stages).toEqual(PIPELINE_STAGES.slice(PIPELINE_STAGES.length - stages.length));
    expect(events[0]?.kind).toBe('snapshot');
    expect(events.at(-1)?.kind).toBe('completed');
    expect(lines.at(-1)).toMatchObject({ type: 'result', status: 'completed' });
  });
});
