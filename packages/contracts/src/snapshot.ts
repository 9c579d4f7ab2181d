import { type AnalysisStatus, isTerminal, type ProgressEvent, type ProgressSnapshot } from './analysis';
import { type StageId, stageIds, stageInfo } from './stages';

/** The columns of an analysis that decide its progress bar (structural: any row type with them fits). */
export interface StoredProgress {
  analysisId: string;
  status: string;
  progressStage: string | null;
  progressPercent: number | null;
  progressMessage: string | null;
  errorMessage: string | null;
  startedAt: Date;
  updatedAt: Date | null;
  completedAt: Date | null;
}

/**
 * The progress-bar state of an analysis as stored. The API's snapshot and the worker's republished
 * terminal event both come from here, so a late follower and a live one read the same words.
 */
export function snapshotFromStored(row: StoredProgress): ProgressSnapshot {
  const status = row.status as AnalysisStatus;
  const stored = stageIds.includes(row.progressStage as StageId) ? (row.progressStage as StageId) : null;
  const stage: StageId = status === 'completed' ? 'done' : (stored ?? 'queued');
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
    percent: status === 'completed' ? 100 : (row.progressPercent ?? stageInfo(stage).percent),
    message,
    at: (row.completedAt ?? row.updatedAt ?? row.startedAt).toISOString(),
    errorMessage: row.errorMessage ?? null,
  };
}

/** The same state as a stream event: terminal rows become the terminal event. */
export function eventFromStored(row: StoredProgress): ProgressEvent {
  const snapshot = snapshotFromStored(row);
  return {
    ...snapshot,
    kind: isTerminal(snapshot.status) ? (snapshot.status as 'completed' | 'failed' | 'canceled') : 'progress',
  };
}
