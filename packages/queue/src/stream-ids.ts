/**
 * Redis stream ids (`<ms>-<seq>`) are the progress cursor clients resume from. They come from Redis,
 * not from a process, so every server instance orders them the same way.
 */
const STREAM_ID = /^(\d{1,20})(?:-(\d{1,20}))?$/;

const MAX_SEQ = 2n ** 64n - 1n;

/** The id before any entry: "everything after this" means the whole stream. */
export const STREAM_START = '0-0';

export function isStreamId(value: string): boolean {
  return STREAM_ID.test(value);
}

function parse(id: string): [bigint, bigint] {
  const m = STREAM_ID.exec(id);
  if (!m) throw new TypeError(`not a Redis stream id: ${JSON.stringify(id)}`);
  // Numbers would lose precision past 2^53; sequence numbers may be 64-bit.
  return [BigInt(m[1] as string), BigInt(m[2] ?? '0')];
}

/** Negative when a < b, zero when equal, positive when a > b. `123` equals `123-0`. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = parse(a);
  const [bMs, bSeq] = parse(b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

export function maxStreamId(a: string, b: string): string {
  return compareStreamIds(a, b) >= 0 ? a : b;
}

/**
 * The smallest id after `id`. Only for a terminal state that has no stream entry of its own (read from
 * Postgres): it must still come after every id the watcher was sent, and the stream ends on it.
 */
export function streamIdAfter(id: string): string {
  const [ms, seq] = parse(id);
  // Redis sequence numbers are 64-bit: past the last one, the next millisecond starts at 0.
  return seq < MAX_SEQ ? `${ms}-${seq + 1n}` : `${ms + 1n}-0`;
}
