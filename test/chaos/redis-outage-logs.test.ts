import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelSimulator } from '@revmemo/model-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot } from '../../bench/support/chaos-run';
import { type RestartableService, startRestartableRedis } from '../../bench/support/services';
import { freshDatabase, uniquePrefix } from '../support/harness';
import { type AppProcess, stackEnv } from '../support/processes';

/**
 * Redis restarts (append-only, same port, 3 s down) under a running web process and worker. An
 * operator reading the logs must see ONE structured line per process when Redis becomes unreachable
 * and ONE when it is back, and nothing printed outside pino (BullMQ and ioredis print raw
 * `Error: connect ECONNREFUSED` dumps for every failed attempt when nobody listens for `error`).
 */
let dir: string;
let redis: RestartableService;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let model: Awaited<ReturnType<typeof startModelSimulator>>;
const procs: { name: string; proc: AppProcess }[] = [];

const UNREACHABLE = /"redis_state":"unreachable"/g;
const BACK = /"redis_state":"reachable"/g;

function notPino(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => {
      if (!l) return false;
      try {
        return typeof (JSON.parse(l) as { level?: unknown }).level !== 'number';
      } catch {
        return true;
      }
    });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'revmemo-redis-outage-'));
  redis = await startRestartableRedis(dir);
  database = await freshDatabase();
  model = await startModelSimulator();
  const env = stackEnv({
    databaseUrl: database.url,
    redisUrl: redis.url,
    modelUrl: model.url,
    prefix: uniquePrefix('outage'),
  });
  procs.push({ name: 'server', proc: await boot('server', env) });
  procs.push({ name: 'worker', proc: await boot('worker', env) });
}, 600_000);

afterAll(async () => {
  await Promise.all(procs.map(({ proc }) => proc.stop(5_000)));
  await model?.close();
  await database?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a Redis restart', () => {
  it('leaves one "unreachable" and one "back" line per process, all through pino', async () => {
    const before = new Map(procs.map(({ proc }) => [proc, proc.output().length]));
    await redis.restart(3_000);

    // Each process logs "back" once its reconnect has held for a second.
    const deadline = Date.now() + 60_000;
    const since = (proc: AppProcess) => proc.output().slice(before.get(proc) ?? 0);
    while (
      procs.some(({ proc }) => !since(proc).includes('"redis_state":"reachable"')) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 250));
    }
    // Late stragglers (a second "unreachable", a raw dump) would show within a few seconds.
    await new Promise((r) => setTimeout(r, 3_000));

    for (const { name, proc } of procs) {
      const text = since(proc);
      expect({ name, unreachable: text.match(UNREACHABLE)?.length ?? 0 }).toEqual({ name, unreachable: 1 });
      expect({ name, back: text.match(BACK)?.length ?? 0 }).toEqual({ name, back: 1 });
      expect({ name, notPino: notPino(proc.output()) }).toEqual({ name, notPino: [] });
      const line = text.split('\n').find((l) => l.includes('"redis_state":"unreachable"')) as string;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed.redis).toBe(new URL(redis.url).host);
      expect(parsed.level).toBe(40);
    }
  }, 180_000);
});
