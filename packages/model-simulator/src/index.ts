export { type AnswerMode, SIMULATED_MODEL_NAME } from './completion';
export { instanceFromSchema } from './json-instance';
export { seededRandom, seedFrom } from './random';
export {
  type FailureMode,
  type FailureRule,
  type ModelSimulator,
  type RecordedCall,
  type SimulatorOptions,
  startModelSimulator,
} from './server';
export type { StreamPacing } from './stream';
