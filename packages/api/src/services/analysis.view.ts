import {
  type AnalysisStatus,
  type ProgressSnapshot,
  type StageId,
  stageIds,
  stageInfo,
} from '@revmemo/contracts';
import type { AnalysisRow, AnalysisSummary } from '@revmemo/db';

/** The progress-bar state of an analysis as stored in Postgres. */
export function snapshotOf(row: AnalysisSummary): ProgressSnapshot {
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

export function summaryOf(row: AnalysisSummary) {
  return {
    analysisId: row.analysisId,
    memoUuid: row.memoUuid,
    status: row.status as AnalysisStatus,
    fileNames: row.fileNames,
    wordCount: row.wordCount,
    quotedCredits: row.quotedCredits,
    finalChargedCredits: row.finalChargedCredits,
    errorMessage: row.errorMessage,
    startedAt: row.startedAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    progress: snapshotOf(row),
  };
}

export function detailOf(row: AnalysisRow) {
  return {
    ...summaryOf(row),
    memoContent: row.memoContent,
    additionalContext: row.additionalContext,
    runStartedAt: row.runStartedAt?.toISOString() ?? null,
    model: row.model,
    usage:
      row.promptTokens == null
        ? null
        : {
            promptTokens: row.promptTokens,
            completionTokens: row.completionTokens ?? 0,
            estimatedCostUsd: row.estimatedCostUsd == null ? null : Number(row.estimatedCostUsd),
          },
  };
}
