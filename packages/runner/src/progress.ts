import { type PipelineStage, type ProgressEvent, type ProgressNotice, stageInfo } from '@revmemo/contracts';

/**
 * The event for a stage the pipeline is at; the same values were written to Postgres first. `percent`
 * defaults to where the stage starts; after progress within the stage it is held higher (PartialProgress.hold).
 */
export function stageEvent(
  analysisId: string,
  stage: PipelineStage,
  message: string,
  extra: { notice?: ProgressNotice | undefined; percent?: number } = {},
): ProgressEvent {
  const { notice, percent = stageInfo(stage).percent } = extra;
  return {
    analysisId,
    status: 'running',
    stage,
    percent,
    message,
    at: new Date().toISOString(),
    errorMessage: null,
    kind: 'progress',
    ...(notice && { notice }),
  };
}

/** "step 3" for the model steps, the stage's label otherwise; for messages a person reads. */
export function stageName(stage: PipelineStage): string {
  const label = stageInfo(stage).label;
  const step = /^Step (\d+):/.exec(label);
  return step ? `step ${step[1]}` : label.toLowerCase();
}
