import {
  isTerminalEvent,
  type PipelineStage,
  type ProgressEvent,
  STAGES,
  type StageId,
  stageIndex,
  stageInfo,
} from '@revmemo/contracts';
import type { StepPartial } from '@revmemo/engine';
import type { ProgressPublisher } from '@revmemo/queue';
import type { Log } from './log';

/** The contract's limit on a finding's length (PartialProgressSchema); a longer one would be dropped by readers. */
const MAX_FINDING_CHARS = 300;

/**
 * Where the bar stands at `share` of `stage`: between the stage's percent and the next stage's, one
 * decimal, rounded down so it never reaches past where the next stage starts.
 */
export function partialPercent(stage: PipelineStage, share: number): number {
  const from = stageInfo(stage).percent;
  const to = STAGES[stageIndex(stage) + 1]?.percent ?? 100;
  const clamped = clampShare(share);
  // The epsilon keeps 0.3 * 10 = 2.9999999999999996 at 3.
  return Math.floor((from + clamped * (to - from)) * 10 + 1e-9) / 10;
}

export interface PartialProgressOptions {
  analysisId: string;
  publisher: ProgressPublisher;
  log: Log;
  /** Partial events per second at most (PROGRESS_PARTIALS_PER_SECOND); 0 publishes none. */
  perSecond: number;
  /**
   * A partial was refused because the analysis ended (a cancel from the web process): the run stops
   * its model request now instead of paying for the rest of the answer (docs/durable-steps.md).
   */
  onAnalysisEnded?: () => void;
}

/**
 * One run's progress within a step (docs/progress-transport.md, "Progress within a step"). The
 * pipeline's `onPartial` may fire thousands of times a second; this turns it into at most
 * `perSecond` `partial` events per analysis (leading and trailing: the latest state wins, earlier
 * ones are dropped), published through the run's ProgressPublisher so they carry stream ids like
 * every event. They are safe to miss: published once, a failure logged and dropped, never awaited
 * on the model-stream path.
 *
 * It also keeps the bar from stepping back: every event of the run for a stage (partial or not)
 * carries at least the highest percent seen for that stage, and `hold` makes sure no partial
 * overtakes a stage event, notice or terminal event.
 */
export class PartialProgress {
  private readonly intervalMs: number;
  /** Highest percent reached per stage (partials seen, events published, the previous run's last). */
  private readonly floor = new Map<StageId, number>();
  private stage: PipelineStage | null = null;
  private stageMessage = '';
  private stageEnded = false;
  /** The latest state not yet published (earlier ones were dropped). */
  private pending: { partial: StepPartial; percent: number } | null = null;
  private sent: { stage: PipelineStage; percent: number; finding: string | null } | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private holding = 0;
  private closed = false;
  private failures = 0;
  /** Partial events this run published. */
  published = 0;

  constructor(private readonly opts: PartialProgressOptions) {
    this.intervalMs = opts.perSecond > 0 ? 1000 / opts.perSecond : Number.POSITIVE_INFINITY;
  }

  /**
   * The analysis's newest event from before this run (a job retry after a cut stream, a resumed
   * run): its percent is held for its stage, so this run's events do not step the bar back.
   */
  continueFrom(previous: Pick<ProgressEvent, 'kind' | 'stage' | 'percent'> | undefined) {
    if (!previous || isTerminalEvent(previous)) return;
    this.floor.set(previous.stage, Math.max(this.floor.get(previous.stage) ?? 0, previous.percent));
  }

  /** Whether partial events are published at all (PROGRESS_PARTIALS_PER_SECOND > 0). */
  get enabled(): boolean {
    return Number.isFinite(this.intervalMs);
  }

  /**
   * The pipeline's onPartial: synchronous and cheap (no I/O, no `finding()`); never throws. Partials
   * of a stage that already ended, or of one before the current stage, are dropped.
   */
  readonly onPartial = (partial: StepPartial): void => {
    if (this.closed || !this.enabled || !this.accepts(partial.stage)) return;
    // Held at the highest so far: a retried request restarts its share at 0, the bar does not.
    const percent = Math.max(this.floorOf(partial.stage), partialPercent(partial.stage, partial.share));
    this.floor.set(partial.stage, percent);
    this.pending = { partial, percent };
    this.schedule();
  };

  /** The pipeline entered `stage`: partials of earlier stages are dropped from now on. */
  stageBegan(stage: PipelineStage, message: string) {
    if (this.stage && stageIndex(stage) < stageIndex(this.stage)) return;
    if (stage !== this.stage) this.cancelPending();
    this.stage = stage;
    this.stageMessage = message;
    this.stageEnded = false;
  }

  /** The current step's answer is in: its partials are over (the next stage event supersedes them). */
  stepEnded() {
    this.stageEnded = true;
    this.cancelPending();
  }

  /**
   * Runs `publish` (a stage event, a notice, a terminal event: anything but a partial) with no partial
   * before it still pending or in flight and none sent until it is done, so no partial overtakes it.
   * `percent` is what that event must carry for `stage`: the stage's percent, or the highest reached
   * in it, rounded up to a whole number (Postgres keeps whole percents, and the event says the same).
   */
  async hold<T>(stage: PipelineStage, publish: (percent: number) => Promise<T>): Promise<T> {
    this.holding++;
    try {
      this.cancelPending();
      while (this.inFlight) await this.inFlight;
      const percent = Math.max(stageInfo(stage).percent, Math.ceil(this.floorOf(stage) - 1e-9));
      this.floor.set(stage, percent);
      // The next partial goes out even if its percent and finding are unchanged: it puts the stage's
      // message back under the bar after a notice ("retrying in 3 s" must not linger).
      this.sent = null;
      return await publish(percent);
    } finally {
      this.holding--;
      this.schedule();
    }
  }

  /** The run is over: nothing more is published, and a publish in flight is waited for. */
  async close() {
    this.closed = true;
    this.cancelPending();
    while (this.inFlight) await this.inFlight;
  }

  /** Resolves once nothing is pending or in flight (the trailing state published). */
  async idle() {
    while (this.timer || this.inFlight) {
      if (this.inFlight) await this.inFlight;
      else await new Promise((resolve) => setTimeout(resolve, this.intervalMs / 2));
    }
  }

  private floorOf(stage: PipelineStage): number {
    return this.floor.get(stage) ?? stageInfo(stage).percent;
  }

  private accepts(stage: PipelineStage): boolean {
    if (this.stage === null || stageIndex(stage) > stageIndex(this.stage)) {
      // Not announced yet (the runner announces each stage before its model call): take it as begun.
      this.stageBegan(stage, stageInfo(stage).label);
      return true;
    }
    return stage === this.stage && !this.stageEnded;
  }

  private cancelPending() {
    this.pending = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule() {
    if (this.closed || this.holding > 0 || this.timer || this.inFlight || !this.pending) return;
    const wait = this.lastSentAt + this.intervalMs - performance.now();
    if (wait <= 0) {
      this.send();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.send();
    }, wait);
    this.timer.unref();
  }

  private send() {
    const next = this.pending;
    this.pending = null;
    if (!next || this.closed) return;
    // A slot is used whether or not anything changed: finding() runs at most perSecond times a second.
    this.lastSentAt = performance.now();
    const { partial, percent } = next;
    const finding = findingOf(partial, this.opts.log);
    const sent = this.sent;
    if (sent && sent.stage === partial.stage && sent.percent === percent && sent.finding === finding) return;
    this.sent = { stage: partial.stage, percent, finding };
    const event: ProgressEvent = {
      analysisId: this.opts.analysisId,
      status: 'running',
      stage: partial.stage,
      percent,
      message: this.stageMessage,
      at: new Date().toISOString(),
      errorMessage: null,
      kind: 'partial',
      partial: { share: clampShare(partial.share), finding },
    };
    this.inFlight = this.opts.publisher
      .publishPartial(event)
      .then(
        (id) => {
          // Null: the analysis ended meanwhile (a cancel mid-step); its partials stop here.
          if (id === null) {
            this.closed = true;
            this.opts.onAnalysisEnded?.();
          } else this.published++;
        },
        (err: unknown) => {
          // Safe to miss: the next partial or stage event supersedes it. One line per run is enough.
          if (this.failures++ === 0) this.opts.log.warn({ err }, 'partial progress publish failed; dropped');
        },
      )
      .finally(() => {
        this.inFlight = null;
        this.schedule();
      });
  }
}

function clampShare(share: number): number {
  return Number.isFinite(share) ? Math.min(1, Math.max(0, share)) : 0;
}

/**
 * One line of plain text: findings quote the contract (a party's name), so a crafted document must
 * not put line breaks or terminal escape sequences under a CLI's bar or in a log.
 */
function plainLine(text: string): string {
  return text
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A finding that cannot be read is no finding: the bar still moves. */
function findingOf(partial: StepPartial, log: Log): string | null {
  try {
    const text = plainLine(partial.finding() ?? '');
    return text ? text.slice(0, MAX_FINDING_CHARS) : null;
  } catch (err) {
    log.warn({ err, stage: partial.stage }, 'could not read the finding of a partial answer');
    return null;
  }
}
