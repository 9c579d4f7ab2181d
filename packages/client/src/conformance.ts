/**
 * Compile-time only (never bundled): the client's declared types must equal what the server's
 * router returns and accepts. `pnpm typecheck` fails here when the API changes shape.
 */
import type { AppRouter } from '@revmemo/api';
import type * as C from '@revmemo/contracts';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type * as T from './types';

type Out = inferRouterOutputs<AppRouter>;
type In = inferRouterInputs<AppRouter>;
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type Expect<V extends true> = V;

export type Checks = [
  Expect<Equal<T.Quote, Out['analysis']['quote']>>,
  Expect<Equal<T.Quote, C.Quote>>,
  Expect<Equal<T.SubmittedAnalysis, Out['analysis']['submit']>>,
  Expect<Equal<T.AnalysisDetail, Out['analysis']['get']>>,
  Expect<Equal<T.Page<T.AnalysisSummary>, Out['analysis']['list']>>,
  Expect<Equal<T.AnalysisSummary, Out['analysis']['cancel']>>,
  Expect<Equal<T.MemoDraft | null, Out['analysis']['draft']>>,
  Expect<Equal<T.Balance, Out['credits']['balance']>>,
  Expect<Equal<T.Page<T.CreditTransaction>, Out['credits']['history']>>,
  Expect<Equal<T.ProgressEvent, C.ProgressEvent>>,
  Expect<Equal<T.ProgressSnapshot, C.ProgressSnapshot>>,
  Expect<Equal<T.ProgressNotice, C.ProgressNotice>>,
  Expect<Equal<T.QueuePosition, C.QueuePosition>>,
  Expect<Equal<T.PartialProgress, C.PartialProgress>>,
  Expect<Equal<T.StageId, C.StageId>>,
  Expect<Equal<T.AnalysisStatus, C.AnalysisStatus>>,
  Expect<Equal<T.AppErrorData, C.AppErrorData>>,
  Expect<Equal<T.CreditReason, Out['credits']['history']['items'][number]['reason']>>,
  Expect<Equal<{ text: string; filename?: string; additionalContext?: string }, In['analysis']['quote']>>,
  Expect<Equal<{ quoteId: string; idempotencyKey: string }, In['analysis']['submit']>>,
  Expect<Equal<{ limit?: number; cursor?: string | null | undefined }, In['analysis']['list']>>,
  Expect<Equal<{ analysisId: string }, In['analysis']['draft']>>,
  Expect<Equal<{ limit?: number; cursor?: string | null | undefined }, In['credits']['history']>>,
];
