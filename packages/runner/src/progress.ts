import {
  type AnalysisStatus,
  isTerminal,
  type PipelineStage,
  type ProgressEvent,
  type StageId,
  stageIds,
  stageInfo,
} from '@revmemo/contracts';
import type { AnalysisRow } from '@revmemo/db';

/** The event for a stage the pipeline just entered; the same values were written to Postgres first. */
export function stageEvent(analysisId: string, stage: PipelineStage, message: string): ProgressEvent {
  return {
    analysisId,
    status: 'running',
    stage,
    percent: stageInfo(stage).percent,
    message,
    at: new Date().toISOString(),
    errorMessage: null,
    kind: 'progress',
  };
}

/**
 * The event that describes a row as Postgres holds it. Terminal rows become the terminal event
 * (with the same wording the API's snapshot uses), so a late follower and a live one read alike.
 */
export function eventFromRow(row: AnalysisRow): ProgressEvent {
  const status = row.status as AnalysisStatus;
  const stored = stageIds.includes(row.progressStage as StageId) ? (row.progressStage as StageId) : 'queued';
  const stage: StageId = status === 'completed' ? 'done' : stored;
  const message =
    status === 'completed'
      ? 'The memo is ready.'
      : status === 'failed'
        ? (row.errorMessage ?? 'The analysis failed.')
        : status === 'canceled'
          ? 'The analysis was canceled. Nothing was charged.'
          : row.progressMessage || stageInfo(stage).label;
  return {
    analysisId: row.analysisId,
    status,
    stage,
    percent: status === 'completed' ? 100 : row.progressPercent,
    message,
    at: (row.completedAt ?? row.updatedAt).toISOString(),
    errorMessage: row.errorMessage ?? null,
    kind: isTerminal(status) ? (status as 'completed' | 'failed' | 'canceled') : 'progress',
  };
}
