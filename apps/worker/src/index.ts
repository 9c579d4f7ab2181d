export { releaseFailedJob } from './failed-jobs';
export { classifyFailure, type Failure } from './failures';
export { heartbeatKey, startHeartbeat } from './heartbeat';
export type { Log } from './log';
export { type AnalysisHandlerDeps, type AnalysisOutcome, createAnalysisProcessor } from './process-analysis';
export { eventFromRow, stageEvent } from './progress';
export { createSweeper, type SweeperDeps, type SweepResult } from './sweeper';
