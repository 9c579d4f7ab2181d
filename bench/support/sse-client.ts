import { request } from 'node:http';

export interface SseStream {
  close(): void;
  readonly closed: Promise<void>;
}

/**
 * A cheap SSE reader for the benchmarks (thousands per bench process): its own socket, no
 * EventSource, `data:` frames without an `event:` line handed over with their `id:`.
 */
export function openSse(
  url: string,
  headers: Record<string, string>,
  onData: (data: string, id: string | undefined) => void,
  onConnected?: () => void,
): SseStream {
  let buf = '';
  let done: () => void = () => undefined;
  const closed = new Promise<void>((r) => {
    done = r;
  });
  const req = request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let end = buf.indexOf('\n\n');
      while (end >= 0) {
        // tRPC ends a frame with "\n\n\n": the extra newline starts the next chunk.
        const frame = buf.slice(0, end).replace(/^\n+/, '');
        buf = buf.slice(end + 2);
        end = buf.indexOf('\n\n');
        if (frame.startsWith('event: connected')) onConnected?.();
        if (!frame.startsWith('data: ')) continue; // connected, ping, return, the blank line
        const nl = frame.indexOf('\n');
        const data = nl < 0 ? frame.slice(6) : frame.slice(6, nl);
        const id = /\nid: (.*)$/.exec(frame)?.[1];
        onData(data, id);
      }
    });
    res.on('close', done);
    res.on('error', done);
  });
  req.on('error', done);
  req.end();
  return { close: () => req.destroy(), closed };
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
export async function cpuSeconds(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}
