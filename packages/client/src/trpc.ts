/**
 * Workspace only (not in the published package): the raw tRPC client typed with the server's
 * AppRouter, for this repository's tests and benchmarks.
 */
import type { AppRouter } from '@revmemo/api';
import type { TRPCClient } from '@trpc/client';
import { createTransport } from './transport';

export type RevmemoTRPCClient = TRPCClient<AppRouter>;

/** Batched HTTP for calls, SSE (EventSource) for subscriptions; cookie or API key auth; no retries. */
export function createRevmemoTRPCClient(opts: {
  baseUrl: string;
  cookie?: string;
  apiKey?: string;
}): RevmemoTRPCClient {
  return createTransport<AppRouter>({ ...opts, raw: true }).trpc;
}
