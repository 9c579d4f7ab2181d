import { z } from 'zod';

/** The pipeline's stages, in order. Percent is where the bar stands when the stage STARTS. */
export const STAGES = [
  { id: 'queued', label: 'Waiting for a worker', percent: 0 },
  { id: 'preparation', label: 'Preparing the document', percent: 3 },
  { id: 'contract', label: 'Step 1: Identify the contract', percent: 10 },
  { id: 'obligations', label: 'Step 2: Performance obligations', percent: 25 },
  { id: 'price', label: 'Step 3: Transaction price', percent: 42 },
  { id: 'allocation', label: 'Step 4: Allocation', percent: 58 },
  { id: 'recognition', label: 'Step 5: Recognition', percent: 72 },
  { id: 'memo', label: 'Writing the memo', percent: 88 },
  { id: 'done', label: 'Done', percent: 100 },
] as const;

export type StageId = (typeof STAGES)[number]['id'];
export const stageIds = STAGES.map((s) => s.id) as [StageId, ...StageId[]];
export const StageIdSchema = z.enum(stageIds);

/** Stages the pipeline itself runs (everything but the waiting and final markers). */
export const PIPELINE_STAGES = [
  'preparation',
  'contract',
  'obligations',
  'price',
  'allocation',
  'recognition',
  'memo',
] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export function stageInfo(id: StageId) {
  const s = STAGES.find((x) => x.id === id);
  if (!s) throw new Error(`unknown stage ${id}`);
  return s;
}

export function stageIndex(id: StageId): number {
  return STAGES.findIndex((x) => x.id === id);
}
