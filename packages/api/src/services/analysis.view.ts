import { type AnalysisStatus, snapshotFromStored } from '@revmemo/contracts';
import type { AnalysisRow, AnalysisSummary } from '@revmemo/db';
import type { StructuredAnswers } from '@revmemo/engine';

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
    progress: snapshotFromStored(row),
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

/** Null `structured` until the analysis completes (and for memos saved before it was stored). */
export function exportOf(row: AnalysisRow) {
  return {
    analysisId: row.analysisId,
    memoUuid: row.memoUuid,
    status: row.status as AnalysisStatus,
    completedAt: row.completedAt?.toISOString() ?? null,
    structured: (row.structured ?? null) as StructuredAnswers | null,
  };
}
