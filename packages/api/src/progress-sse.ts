import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ProgressEvent, ProgressInputSchema } from '@revmemo/contracts';
import type { FollowedEvent } from '@revmemo/queue';
import { TRPCError } from '@trpc/server';
import { getErrorShape, getTRPCErrorFromUnknown, sseHeaders } from '@trpc/server/unstable-core-do-not-import';
import { createContext, type SessionUser } from './context';
import type { ApiDeps } from './deps';
import { isDependencyUnavailable, serviceUnavailable, tooManyRequests } from './errors';
import { appRouter } from './root';
import { createAnalysisService } from './services/analysis.service';
import { SSE_CLIENT, SSE_MAX_DURATION_MS, SSE_PING_MS } from './trpc';

/** The path the web app's httpSubscriptionLink calls; this handler answers it instead of tRPC's. */
export const PROGRESS_PATH = 'analysis.progress';

/** A client that stops reading is cut past this much unsent data; it reconnects and resumes by id. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** Seconds a refused stream waits before trying again (streams close whenever a tab does). */
const STREAM_CAP_RETRY_SECONDS = 5;

/** How long a resolved session is reused for new streams of the same cookie or API key. */
const SESSION_TTL_MS = 10_000;
const SESSION_CACHE_SIZE = 10_000;

// tRPC's SSE frames (sseStreamProducer in @trpc/server): `event:`, `data:`, `id:` lines, then "\n\n".
const CONNECTED = Buffer.from(`event: connected\ndata: ${JSON.stringify(SSE_CLIENT)}\n\n\n`);
const PING = Buffer.from('event: ping\ndata: \n\n\n');
const RETURN = Buffer.from('event: return\ndata: \n\n\n');

export interface ProgressSse {
  /** Answers GET /trpc/analysis.progress on the raw request; resolves once the stream is set up. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  openStreams(): number;
  /** Ends every open stream (clients reconnect elsewhere with their last id). */
  close(): void;
}

interface Stream {
  res: ServerResponse;
  userId: string;
  openedAt: number;
  stop: () => void;
}

/**
 * `analysis.progress` written by hand in tRPC's SSE wire format (docs/progress-transport.md, "The SSE
 * route"): same URL, input, `tracked` ids, Last-Event-ID resume, connected/ping/return events and
 * errors as `serialized-error` with the router's own error shape. What it saves over tRPC's handler,
 * per watcher: the async-iterator and web-stream pipeline, a JSON.stringify per event (a frame is
 * built once per event and the same bytes go to every watcher) and two timers (one shared ping/cap
 * sweep for all streams).
 */
export function createProgressSse(deps: ApiDeps): ProgressSse {
  const service = createAnalysisService(deps);
  const { perUser, perProcess } = deps.config.progressStreams;
  const streams = new Set<Stream>();
  const perUserOpen = new Map<string, number>();
  const sessions = new Map<string, { expires: number; user: Promise<SessionUser | null> }>();
  /** The frame of a live event, built by the first watcher that sends it (all share the object). */
  const frames = new WeakMap<ProgressEvent, { id: string; frame: Buffer }>();

  const sweep = setInterval(() => {
    const expired = Date.now() - SSE_MAX_DURATION_MS;
    for (const s of streams) {
      // The time cap ends a stream like tRPC's does: the connection closes, the client resumes by id.
      if (s.openedAt < expired) s.res.end();
      else s.res.write(PING);
    }
  }, SSE_PING_MS);
  sweep.unref();

  function frameOf(item: FollowedEvent): Buffer {
    const cached = frames.get(item.event);
    if (cached && cached.id === item.id) return cached.frame;
    const frame = Buffer.from(`data: ${JSON.stringify(item.event)}\nid: ${item.id}\n\n\n`);
    frames.set(item.event, { id: item.id, frame });
    return frame;
  }

  function errorFrame(error: TRPCError, input: unknown): Buffer {
    if (error.code === 'INTERNAL_SERVER_ERROR')
      deps.log.error({ path: PROGRESS_PATH, err: error.cause ?? error }, 'tRPC internal error');
    const shape = getErrorShape({
      config: appRouter._def._config,
      ctx: undefined,
      error,
      input,
      path: PROGRESS_PATH,
      type: 'subscription',
    });
    return Buffer.from(`event: serialized-error\ndata: ${JSON.stringify(shape)}\n\n\n`);
  }

  /** Session cookie or API key -> user, shared by the streams of one browser for a few seconds. */
  function userOf(req: IncomingMessage): Promise<SessionUser | null> {
    const apiKey = req.headers['x-api-key'];
    const key = typeof apiKey === 'string' ? `k:${apiKey}` : `c:${req.headers.cookie ?? ''}`;
    const now = Date.now();
    const hit = sessions.get(key);
    if (hit && hit.expires > now) return hit.user;
    const headers = new Headers();
    if (typeof apiKey === 'string') headers.set('x-api-key', apiKey);
    if (req.headers.cookie) headers.set('cookie', req.headers.cookie);
    const user = createContext(deps, headers, undefined, { trustCookieCache: true }).then((ctx) => ctx.user);
    if (sessions.size >= SESSION_CACHE_SIZE) sessions.delete(sessions.keys().next().value as string);
    sessions.set(key, { expires: now + SESSION_TTL_MS, user });
    // A failed lookup (Postgres restarting) is not remembered.
    user.catch(() => sessions.delete(key));
    return user;
  }

  function release(s: Stream) {
    if (!streams.delete(s)) return;
    s.stop();
    const n = (perUserOpen.get(s.userId) ?? 1) - 1;
    if (n > 0) perUserOpen.set(s.userId, n);
    else perUserOpen.delete(s.userId);
  }

  function refuse(res: ServerResponse, error: TRPCError, input: unknown) {
    res.writeHead(200, sseHeaders);
    res.write(CONNECTED);
    res.end(errorFrame(error, input));
  }

  return {
    async handle(req, res, url) {
      const lastEventId =
        req.headers['last-event-id'] ??
        url.searchParams.get('lastEventId') ??
        url.searchParams.get('Last-Event-Id');
      let raw: unknown;
      try {
        const text = url.searchParams.get('input');
        raw = text === null ? undefined : JSON.parse(text);
      } catch {
        return refuse(
          res,
          new TRPCError({ code: 'PARSE_ERROR', message: 'Invalid JSON in input.' }),
          undefined,
        );
      }
      if (typeof lastEventId === 'string' && lastEventId && raw && typeof raw === 'object')
        raw = { ...raw, lastEventId };
      const user = await userOf(req); // a dependency outage throws: the host answers 503
      if (!user) return refuse(res, new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first.' }), raw);
      const parsed = ProgressInputSchema.safeParse(raw);
      if (!parsed.success)
        return refuse(res, new TRPCError({ code: 'BAD_REQUEST', message: parsed.error.message }), raw);
      const open = perUserOpen.get(user.id) ?? 0;
      if (open >= perUser || streams.size >= perProcess) {
        const message =
          open >= perUser
            ? `Too many open progress streams (at most ${perUser} per account); close one or try again shortly.`
            : 'This server is following too many progress streams; try again shortly.';
        return refuse(res, tooManyRequests('progress-streams', STREAM_CAP_RETRY_SECONDS, message), raw);
      }

      res.writeHead(200, sseHeaders);
      res.write(CONNECTED);
      const stream: Stream = { res, userId: user.id, openedAt: Date.now(), stop: () => undefined };
      streams.add(stream);
      perUserOpen.set(user.id, open + 1);
      req.on('close', () => release(stream));
      res.on('close', () => release(stream));
      stream.stop = service.watch(user.id, parsed.data, {
        send(item) {
          deps.metrics?.progressDelivered();
          res.write(frameOf(item));
          if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
        },
        end(err) {
          release(stream);
          if (err === undefined) res.end(RETURN);
          // Postgres or Redis unreachable: SERVICE_UNAVAILABLE, which clients retry by themselves.
          else
            res.end(
              errorFrame(
                isDependencyUnavailable(err) ? serviceUnavailable(err) : getTRPCErrorFromUnknown(err),
                raw,
              ),
            );
        },
      });
    },
    openStreams: () => streams.size,
    close() {
      clearInterval(sweep);
      for (const s of [...streams]) {
        release(s);
        s.res.end();
      }
      sessions.clear();
    },
  };
}
