import { afterAll, describe, expect, it } from 'vitest';
import { type ChaosReport, formatChaosReport, killEverything, runChaos } from '../../bench/support/chaos-run';

/**
 * A small `pnpm chaos` (see docs/chaos.md): 12 analyses (2 of them a contract the model rejects),
 * 2 web processes and 2 workers, 6 worker SIGKILLs, one web SIGKILL, one Redis and one PostgreSQL
 * restart (3 s down each), one watcher per analysis, the model streaming each answer over 0.6 s (so
 * partial events flow throughout). Invariants only, never timings: nothing lost
 * or stuck, the money exact, no ordinary analysis failed, no bar stepped back, no progress missed
 * or repeated, no raw console output while Redis was away.
 */
let report: ChaosReport;

afterAll(() => killEverything());

describe('chaos: worker deaths and outages', () => {
  it('cost no customer their memo, their money or a step back of the bar', async () => {
    report = await runChaos({
      analyses: 12,
      meantToFail: 2,
      killEveryMs: [2_000, 4_000],
      maxWorkerKills: 6,
      durationMs: 60_000,
      downMs: 3_000,
      modelLatencyMs: 400,
      // Streamed answers: kills and outages also land mid-answer, while partial events are published.
      modelStreamMs: 600,
      settleMs: 240_000,
    });
    console.log(formatChaosReport(report));

    // The chaos really happened (otherwise the rest proves nothing).
    expect(report.chaos.errors).toEqual([]);
    expect(report.chaos).toMatchObject({
      workerKills: 6,
      webKills: 1,
      redisRestarts: 1,
      postgresRestarts: 1,
    });
    expect(report.submitted).toBe(12);
    expect(report.watchers.partialsReceived).toBeGreaterThan(0);

    // Nothing lost or stuck; the rejected contracts failed, everything else completed.
    expect({ lost: report.lost, stuck: report.stuck }).toEqual({ lost: 0, stuck: 0 });
    expect(report.meantToFailButCompleted).toBe(0);
    expect(report.completed).toBe(10);

    // Money: exactly the quote for each memo, nothing for a failure, no hold left open.
    expect(report.money).toEqual({ ledgerViolations: 0, doubleCharges: 0, wrongCharges: 0, openHolds: 0 });

    // Watchers: every one saw its analysis end, nothing missed or repeated.
    expect(report.watchers.unfinished).toBe(0);
    expect({ gaps: report.watchers.gaps, replays: report.watchers.replays }).toEqual({ gaps: 0, replays: 0 });

    // Logs: a Redis restart leaves no raw console output.
    expect(report.logs.unstructuredDuringRedisRestart).toBe(0);

    // What a customer notices: no ordinary analysis failed, the bar never stepped back.
    expect(report.ordinaryFailures).toEqual([]);
    expect(report.watchers.examples).toEqual([]);
    expect(report.watchers.regressions).toBe(0);
  }, 1_200_000);
});
