import { randomUUID } from 'node:crypto';
import { PIPELINE_STAGES, type ProgressEvent, type ProgressSnapshot, stageInfo } from '@revmemo/contracts';
import {
  createProgressHub,
  createProgressPublisher,
  createRedisConnection,
  type FollowedEvent,
  type ProgressHub,
  type ProgressPublisher,
} from '@revmemo/queue';
import type { Redis } from 'ioredis';
import { redisUrl, uniquePrefix } from '../support/harness';

/**
 * A stand-in for Postgres plus the worker's publish order: state is written first, then published,
 * which is the ordering followProgress relies on. Tests drive it step by step.
 */
export class FakeAnalysis {
  readonly analysisId = randomUUID();
  private state: ProgressSnapshot;
  readonly published: { id: string; event: ProgressEvent }[] = [];

  constructor(private readonly publisher: ProgressPublisher) {
    this.state = {
      analysisId: this.analysisId,
      status: 'queued',
      stage: 'queued',
      percent: 0,
      message: 'Waiting',
      at: new Date().toISOString(),
    };
  }

  readSnapshot = async (): Promise<ProgressSnapshot> => ({ ...this.state });

  async step(stageIndex: number): Promise<string> {
    // Past the last stage it stays there: the bar never steps back (followers drop such events).
    const stage = PIPELINE_STAGES[Math.min(stageIndex, PIPELINE_STAGES.length - 1)] ?? 'preparation';
    return this.emit(
      { status: 'running', stage, percent: stageInfo(stage).percent, message: `stage ${stageIndex}` },
      'progress',
    );
  }

  /**
   * Progress within the current stage: published, never written to "Postgres" (partial events are not
   * stored; the snapshot keeps the stage's percent). `percent` is where the bar stands.
   */
  async partial(percent: number, finding: string | null = null): Promise<string> {
    const event: ProgressEvent = {
      ...this.state,
      at: new Date().toISOString(),
      percent,
      kind: 'partial',
      partial: { share: 0.5, finding },
    };
    const id = await this.publisher.publish(event);
    this.published.push({ id, event });
    return id;
  }

  async finish(
    kind: 'completed' | 'failed' | 'canceled',
    opts: { publish?: boolean } = {},
  ): Promise<string | undefined> {
    const patch = {
      status: kind,
      stage: kind === 'completed' ? 'done' : this.state.stage,
      percent: kind === 'completed' ? 100 : this.state.percent,
      message: kind,
    } as const;
    if (opts.publish === false) {
      this.state = { ...this.state, ...patch, at: new Date().toISOString() };
      return undefined;
    }
    return this.emit(patch, kind);
  }

  private async emit(
    patch: Pick<ProgressSnapshot, 'status' | 'stage' | 'percent' | 'message'>,
    kind: ProgressEvent['kind'],
  ) {
    this.state = { ...this.state, ...patch, at: new Date().toISOString() };
    const event: ProgressEvent = { ...this.state, kind };
    const id = await this.publisher.publish(event);
    this.published.push({ id, event });
    return id;
  }
}

/** One "server process": its own connection and its own hub. */
export interface ServerProcess {
  connection: Redis;
  hub: ProgressHub;
  close(): Promise<void>;
}

export async function startServerProcess(prefix: string): Promise<ServerProcess> {
  const connection = createRedisConnection(redisUrl(), { name: `${prefix}:server` });
  const hub = createProgressHub({ connection, prefix });
  await hub.ready();
  return {
    connection,
    hub,
    async close() {
      await hub.close();
      connection.disconnect();
    },
  };
}

export function startPublisher(prefix: string, eventsMaxLen?: number) {
  const connection = createRedisConnection(redisUrl(), { name: `${prefix}:worker` });
  const publisher = createProgressPublisher({
    connection,
    prefix,
    ...(eventsMaxLen ? { eventsMaxLen } : {}),
  });
  return {
    connection,
    publisher,
    async close() {
      await publisher.close();
      connection.disconnect();
    },
  };
}

/** Reads from a follower until it ends, or until `count` items, then stops it (a disconnect). */
export async function take(
  stream: AsyncGenerator<FollowedEvent>,
  count = Number.POSITIVE_INFINITY,
): Promise<FollowedEvent[]> {
  const out: FollowedEvent[] = [];
  if (count <= 0) return out;
  for await (const item of stream) {
    out.push(item);
    if (out.length >= count) break;
  }
  return out;
}

export { uniquePrefix };

/**
 * Consumes a follower in the background. `started` resolves once its first item (the snapshot) is
 * in, so whatever a test publishes afterwards is live for it, whatever the machine's load.
 */
export function consume(stream: AsyncGenerator<FollowedEvent>) {
  const items: FollowedEvent[] = [];
  let first!: () => void;
  const started = new Promise<void>((r) => {
    first = r;
  });
  const done = (async () => {
    for await (const item of stream) {
      items.push(item);
      first();
    }
    first();
    return items;
  })();
  return { items, started, done };
}
