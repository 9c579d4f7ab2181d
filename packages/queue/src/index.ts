export { DelayedError, type Job, UnrecoverableError, WaitingError } from 'bullmq';
export { coalesce } from './coalesce';
export { createRedisConnection } from './connection';
export { createFairGate, type FairGate, fairGateKeys, type GateUser } from './fair-gate';
export { type FollowedEvent, type FollowProgressOptions, followProgress } from './follow';
export { type HealthLog, isRedisConnectionError, watchRedisHealth } from './health';
export {
  liveWorkerIds,
  recordHeartbeat,
  removeHeartbeat,
  workerHeartbeatKey,
} from './heartbeats';
export { createProgressHub, type ProgressHub, type ProgressListener } from './hub';
export {
  ANALYSIS_QUEUE,
  type AnalysisJobName,
  type AnalysisQueue,
  createAnalysisQueue,
  enqueueAnalysis,
  hasLiveJob,
  isLiveJobState,
  JOBS,
  type RetryOptions,
  requeueAnalysis,
} from './jobs';
export {
  type BudgetState,
  createModelBudget,
  type ModelBudgetLimits,
  type RedisModelBudget,
} from './model-budget';
export {
  readUntrustedForwarding,
  recordUntrustedForwarding,
  type UntrustedForwarding,
} from './ops-flags';
export { analysisStreamKey, eventsStreamKey, PROGRESS_EVENT_NAME } from './progress-events';
export { createProgressPublisher, type ProgressPublisher } from './publisher';
export {
  computeQueuePositions,
  recentQueueWaits,
  recordQueueWait,
  recordStepDuration,
} from './queue-positions';
export { compareStreamIds, isStreamId, maxStreamId, STREAM_START, streamIdAfter } from './stream-ids';
export { type ProgressSink, watchProgress } from './watch';
export { type AnalysisProcessor, type AnalysisWorker, createAnalysisWorker } from './worker';
