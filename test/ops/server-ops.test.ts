import { freePort } from '@revmemo/devstack';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, trpcClient } from '../support/client';
import { expectLedgerHealthy } from '../support/ledger';
import { startProductStack } from '../support/stack';
import { analyseOnce, runOps } from './support';

let stack: Awaited<ReturnType<typeof startProductStack>>;
let workerMetricsPort: number;

beforeAll(async () => {
  workerMetricsPort = await freePort();
  stack = await startProductStack({ extraEnv: { WORKER_METRICS_PORT: String(workerMetricsPort) } });
});
afterAll(async () => {
  await stack?.stop();
});

const metricValue = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : undefined;
};

describe('the web process for operators', () => {
  it('/admin/queues: anonymous 401, a signed-in user 403, an admin 200 (after ops users:admin)', async () => {
    const user = await signUp(stack.url);
    const admin = await signUp(stack.url);
    expect((await fetch(`${stack.url}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${stack.url}/admin/queues`, { headers: { cookie: user.cookie } })).status).toBe(403);
    expect(
      (await fetch(`${stack.url}/admin/queues/api/queues`, { headers: { cookie: user.cookie } })).status,
    ).toBe(403);
    const granted = await runOps(['users:admin', '--email', admin.email], stack.env);
    expect(granted.code, granted.output).toBe(0);
    const page = await fetch(`${stack.url}/admin/queues`, { headers: { cookie: admin.cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const api = await fetch(`${stack.url}/admin/queues/api/queues`, { headers: { cookie: admin.cookie } });
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toContain('"analysis"');
  });

  it('/metrics counts jobs, deliveries, charges; the worker serves its own on WORKER_METRICS_PORT', async () => {
    const user = await signUp(stack.url);
    await analyseOnce(stack.url, user.cookie);
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metricValue(text, 'revmemo_jobs{state="completed"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'revmemo_progress_events_delivered_total')).toBeGreaterThan(3);
    expect(metricValue(text, 'revmemo_sse_subscriptions')).toBe(0); // the stream ended with the analysis
    // Charges, durations, tokens and publishing happen in the worker process, so it reports them.
    const worker = await (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text();
    expect(metricValue(worker, 'revmemo_charges_total')).toBe(1);
    expect(metricValue(worker, 'revmemo_charged_credits_total')).toBe(10);
    expect(metricValue(worker, 'revmemo_job_duration_seconds_count{outcome="completed"}')).toBe(1);
    expect(
      metricValue(worker, 'revmemo_model_tokens_total{kind="prompt",model="revmemo-simulated"}'),
    ).toBeGreaterThan(0);
    expect(metricValue(worker, 'revmemo_progress_events_published_total')).toBeGreaterThan(5);
  });

  it('credits:grant writes one adjustment the user sees', async () => {
    const user = await signUp(stack.url);
    const r = await runOps(
      ['credits:grant', '--email', user.email, '--amount', '25', '--note', 'goodwill'],
      stack.env,
    );
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/^✓ credits:grant: \+25 to .+ balance 125, available 125$/m);
    // What the user sees, and the one ledger entry behind it.
    expect(await trpcClient(stack.url, user.cookie).credits.balance.query()).toEqual({
      balance: 125,
      held: 0,
      available: 125,
    });
    const entries = await stack.db.execute(
      sql`SELECT t.reason, t.amount, t.balance_after, t.description FROM credit_transactions t JOIN "user" u ON u.id = t.user_id WHERE u.email = ${user.email} ORDER BY t.id`,
    );
    expect(entries).toEqual([
      expect.objectContaining({ reason: 'adjustment', amount: 100, balance_after: 100 }),
      { reason: 'adjustment', amount: 25, balance_after: 125, description: 'goodwill' },
    ]);
    await expectLedgerHealthy(stack.db);
  });

  it('/readyz reports each check; 503 naming the worker once no worker has a heartbeat', async () => {
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { postgres: true, redis: true, migrations: true, workers: true },
    });
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    await Promise.all(stack.workers.map((w) => w.stop()));
    const notReady = await fetch(`${stack.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      status: 'not ready',
      checks: { postgres: true, redis: true, migrations: true, workers: false },
    });
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200); // liveness is unaffected
  });
});
