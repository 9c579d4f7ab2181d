/**
 * The raw baseline for the progress benchmarks: a bare node:http SSE server with one blocking XREAD on
 * the same shared events stream, no auth, no ownership, no snapshot, frames written straight to the
 * sockets of the analysis's watchers. What Node itself can do on this machine, measured in the same run.
 *
 *   node --import tsx bench/support/raw-sse-server.ts <redisUrl> <streamKey> <port>
 */
import { createServer, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';

const [redisUrl, streamKey, port] = process.argv.slice(2) as [string, string, string];
const watchers = new Map<string, Set<ServerResponse>>();
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });

const server = createServer((req, res) => {
  const input = new URL(req.url ?? '/', 'http://x').searchParams.get('input') ?? '{}';
  const { analysisId } = JSON.parse(input) as { analysisId: string };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write('event: connected\ndata: {}\n\n');
  // Same first event as the product (a snapshot-like frame), so clients count a stream as open alike.
  res.write(`data: {"kind":"snapshot","analysisId":"${analysisId}"}\nid: 0-0\n\n`);
  const set = watchers.get(analysisId) ?? new Set<ServerResponse>();
  watchers.set(analysisId, set);
  set.add(res);
  res.on('close', () => set.delete(res));
});

async function read() {
  const tip = ((await redis.xrevrange(streamKey, '+', '-', 'COUNT', 1)) as [string, string[]][])[0]?.[0];
  let last = tip ?? '0-0';
  for (;;) {
    const res = (await redis.xread('BLOCK', 0, 'STREAMS', streamKey, last)) as
      | [string, [string, string[]][]][]
      | null;
    for (const [, entries] of res ?? []) {
      for (const [id, fields] of entries) {
        last = id;
        const f: Record<string, string> = {};
        for (let k = 0; k + 1 < fields.length; k += 2) f[fields[k] as string] = fields[k + 1] as string;
        const set = f.analysisId ? watchers.get(f.analysisId) : undefined;
        if (!set || !f.payload) continue;
        const frame = Buffer.from(`data: ${f.payload}\nid: ${id}\n\n`);
        for (const r of set) r.write(frame);
      }
    }
  }
}

server.listen(Number(port), '127.0.0.1', () => {
  console.log(`raw SSE listening on ${port}`);
  void read();
});
process.on('SIGTERM', () => process.exit(0));
