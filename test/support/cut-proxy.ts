import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** The request line most recently sent on this connection (keep-alive carries several). */
  lastRequest: string;
}

/**
 * A TCP proxy in front of a server that can cut live connections: the network drop a browser or an
 * integration sees while it stays "online" (no offline event, the socket just dies). It records every
 * request line it forwards, so a test can read what a reconnect asked for.
 */
export async function startCutProxy() {
  let target: { host: string; port: number } | undefined;
  let blocked = false;
  const pairs = new Set<Pair>();
  const requests: string[] = [];
  const server = createServer((client) => {
    if (blocked || !target) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream, lastRequest: '' };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      const line = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH) (\S+) HTTP\/1\.[01]\r\n/.exec(
        chunk.toString('latin1', 0, Math.min(chunk.length, 8192)),
      );
      if (line) {
        // The whole head: the request line plus headers (Last-Event-ID travels as one).
        const head = chunk.toString('latin1', 0, Math.min(chunk.length, 8192)).split('\r\n\r\n')[0] ?? '';
        pair.lastRequest = head;
        requests.push(head);
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Where to forward; may be set after the proxy's URL was handed to the server as its public URL. */
    forwardTo(url: string) {
      const u = new URL(url);
      target = { host: u.hostname, port: Number(u.port) };
    },
    /** Every request head forwarded so far, oldest first. */
    requests: () => [...requests],
    /** Destroys the open connections whose latest request line matches; returns how many. */
    cut(match: RegExp): number {
      let n = 0;
      for (const p of [...pairs]) {
        if (!match.test(p.lastRequest.split('\r\n')[0] ?? '')) continue;
        p.client.destroy();
        p.upstream.destroy();
        pairs.delete(p);
        n++;
      }
      return n;
    },
    /** While blocked, new connections are closed at once (the server is unreachable). */
    block() {
      blocked = true;
    },
    unblock() {
      blocked = false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const p of pairs) {
          p.client.destroy();
          p.upstream.destroy();
        }
        server.close(() => r());
      }),
  };
}

export type CutProxy = Awaited<ReturnType<typeof startCutProxy>>;

/** The lastEventId a progress request resumes from: the Last-Event-ID header or the input's field. */
export function resumedFrom(head: string): string | null {
  const header = /^last-event-id:\s*(.+)$/im.exec(head)?.[1]?.trim();
  if (header) return header;
  const path = head.split(' ')[1] ?? '';
  const params = new URL(path, 'http://x').searchParams;
  const fromQuery = params.get('lastEventId');
  if (fromQuery) return fromQuery;
  try {
    const input = JSON.parse(params.get('input') ?? '{}') as { lastEventId?: string | null };
    return input.lastEventId ?? null;
  } catch {
    return null;
  }
}

export const PROGRESS_REQUEST = /^GET \/trpc\/analysis\.progress/;
