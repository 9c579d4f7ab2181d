import { type PipelineStage, type ProgressEvent, stageInfo } from '@revmemo/contracts';

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
