export { releaseFailedJob } from './failed-jobs';
export { classifyFailure, type Failure } from './failures';
export { heartbeatKey, startHeartbeat } from './heartbeat';
export { type Log, withFields } from './log';
export { createRuntimeMetrics, type RuntimeMetrics } from './metrics';
export { type AnalysisHandlerDeps, type AnalysisOutcome, createAnalysisProcessor } from './process-analysis';
export { stageEvent } from './progress';
export { type AnalysisRuntime, type RuntimeOptions, startAnalysisRuntime } from './runtime';
export { createSweeper, type SweeperDeps, type SweepResult } from './sweeper';
