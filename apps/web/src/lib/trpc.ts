import type { AppRouter } from '@revmemo/api';
import { QueryClient } from '@tanstack/react-query';
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  retryLink,
  splitLink,
  type TRPCLink,
} from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { useSyncExternalStore } from 'react';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // Auth and "not yours" errors will not fix themselves; network blips will.
      retry: (count, err) => count < 2 && !isClientError(err),
      refetchOnWindowFocus: true,
    },
  },
});

/**
 * Calls being retried because the service answered 503 (PostgreSQL or Redis restarting) or could
 * not be reached: while any is, the page shows a brief "reconnecting" note instead of an error.
 */
const retrying = new Set<number>();
const watchers = new Set<() => void>();
const notify = () => {
  for (const w of watchers) w();
};
function settle(id: number) {
  if (retrying.delete(id)) notify();
}

export function useReconnecting(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      watchers.add(onChange);
      return () => watchers.delete(onChange);
    },
    () => retrying.size > 0,
  );
}

/** Clears an operation's "retrying" mark once it ends, whichever way. */
const settleLink: TRPCLink<AppRouter> =
  () =>
  ({ op, next }) =>
    observable((observer) => {
      const sub = next(op).subscribe({
        next(value) {
          settle(op.id);
          observer.next(value);
        },
        error(err) {
          settle(op.id);
          observer.error(err);
        },
        complete() {
          settle(op.id);
          observer.complete();
        },
      });
      return () => {
        settle(op.id);
        sub.unsubscribe();
      };
    });

const MAX_RETRIES = 6;

/** 503 says "try again shortly" (the server did nothing); a query may also retry a network failure. */
function retryable(type: string, err: unknown): boolean {
  const status = (err as { data?: { httpStatus?: number } } | null)?.data?.httpStatus;
  if (status === 503) return true;
  if (type !== 'query') return false;
  const message = err instanceof Error ? err.message : '';
  return status === undefined && /failed to fetch|networkerror|load failed|fetch failed/i.test(message);
}

/** Same origin: the session cookie rides along; no transformer (plain JSON on the wire). */
export const trpcClient = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      // The progress stream resumes by itself (lib/progress.ts), from its last event id.
      true: httpSubscriptionLink({ url: '/trpc' }),
      false: [
        settleLink,
        retryLink({
          retry({ op, error, attempts }) {
            if (attempts > MAX_RETRIES || !retryable(op.type, error)) return false;
            if (!retrying.has(op.id)) {
              retrying.add(op.id);
              notify();
            }
            return true;
          },
          // 0.5 s, 1 s, 2 s, 4 s, then every 5 s: about 17 s in all, longer than a restart.
          retryDelayMs: (attempt) => Math.min(500 * 2 ** attempt, 5_000),
        }),
        // The server refuses batches above MAX_BATCH_SIZE (at least 10): never send more than that.
        httpBatchLink({ url: '/trpc', maxItems: 10 }),
      ],
    }),
  ],
});

export const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });

function isClientError(err: unknown): boolean {
  const status = (err as { data?: { httpStatus?: number } } | null)?.data?.httpStatus;
  return typeof status === 'number' && status >= 400 && status < 500;
}
