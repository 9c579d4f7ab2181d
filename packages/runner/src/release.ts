import { eventFromStored } from '@revmemo/contracts';
import { type Db, getAnalysis, releaseAnalysis } from '@revmemo/db';
import type { FairGate, ProgressPublisher } from '@revmemo/queue';
import type { Log } from './log';
import type { RuntimeMetrics } from './metrics';

export interface ReleaseDeps {
  db: Db;
  publisher: ProgressPublisher;
  log: Log;
  metrics?: RuntimeMetrics | undefined;
  /** The per-user gate: a failed analysis frees its slot (docs/capacity.md). */
  gate?: FairGate | undefined;
}

export type Releaser = 'handler' | 'failed-job' | 'sweeper' | 'poison';

/**
 * Fails an analysis for good: release its hold (nothing charged), count it, and tell its followers
 * with the stored terminal state. The one way every part of the runtime ends an analysis in failure.
 * `attempt` fences a worker's release to its own run (a stale run gets 'superseded').
 */
export async function failAnalysis(
  deps: ReleaseDeps,
  input: { analysisId: string; errorMessage: string; by: Releaser; attempt?: number },
): Promise<'released' | 'already-terminal' | 'superseded'> {
  const outcome = await releaseAnalysis(deps.db, {
    analysisId: input.analysisId,
    status: 'failed',
    errorMessage: input.errorMessage,
    attempt: input.attempt,
  });
  if (outcome === 'superseded') return outcome;
  // Also when already terminal: a failed-job or sweeper release may be the last to see this analysis.
  await deps.gate
    ?.finish(input.analysisId)
    .catch((err: unknown) =>
      deps.log.warn({ err, analysis_id: input.analysisId }, 'could not free the per-user slot'),
    );
  if (outcome !== 'released') return outcome;
  deps.metrics?.releases.inc({ by: input.by });
  await publishStored(deps, input.analysisId);
  return outcome;
}

/** Republishes what Postgres says about an analysis (its terminal event may have been lost). */
export async function publishStored(deps: ReleaseDeps, analysisId: string, tries = 3) {
  const row = await getAnalysis(deps.db, analysisId);
  if (row) await publishWithRetry(deps, eventFromStored(row), tries);
  return row;
}

/** The state is already in Postgres; a lost event only delays followers until their next snapshot. */
export async function publishWithRetry(
  deps: Pick<ReleaseDeps, 'publisher' | 'log'>,
  event: Parameters<ProgressPublisher['publish']>[0],
  tries = 1,
): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.publisher.publish(event);
    } catch (err) {
      if (attempt >= tries) {
        deps.log.warn({ err, kind: event.kind }, 'progress publish failed');
        return undefined;
      }
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}
