export {
  DEFAULT_EXTRACTION_LIMITS,
  type DocumentInput,
  type ExtractedText,
  extractText,
} from './documents/extract';
export type { DocumentKind, SourceDocument } from './documents/inventory';
export { joinDocuments, normalizeDocuments } from './documents/join';
export { countWords, hashText, normalizeText } from './documents/normalize';
export {
  createExtractor,
  type ExtractionKind,
  type ExtractionLimits,
  type ExtractionResult,
  type Extractor,
} from './documents/pool';
export {
  AnalysisAbortedError,
  ContractTooLongError,
  DOCUMENT_LIMIT_CODES,
  DocumentError,
  type DocumentErrorCode,
  PermanentAnalysisError,
  type PermanentErrorCode,
  RetryLaterError,
  TooManyWordsError,
  TransientModelError,
} from './errors';
export { MEMO_TITLE, type MemoInput, renderMemo, SIMULATED_NOTICE } from './memo/render';
export type { ModelBudget } from './model/budget';
export { classifyModelError, type ModelErrorClass, retryAfterOf, toAnalysisError } from './model/classify';
export { createModelClient, type ModelClientOptions } from './model/client';
export { estimateCostUsd } from './model/cost';
export { DEFAULT_STEP_RETRY, type StepRetryPolicy, withStepRetry } from './model/retry';
export type { CallUsage } from './model/structured-call';
export {
  type FinishedStep,
  type FinishedSteps,
  type ModelCall,
  type PipelineInput,
  type PipelineResult,
  type PipelineUsage,
  runPipeline,
  type StepDone,
  type StepRetryWait,
} from './pipeline';
export {
  type PreparedDocuments,
  prepareDocuments,
  type Section,
  splitSections,
} from './preparation/sections';
export { checkTokenBudget, countTokens } from './preparation/tokens';
export { billableWords, type PricingRules, priceForText, priceForWords, TOKENS_PER_WORD } from './pricing';
export { SYSTEM_PROMPT } from './steps/prompts';
export {
  type AllocationStep,
  AllocationStepSchema,
  type ContractStep,
  ContractStepSchema,
  type ObligationsStep,
  ObligationsStepSchema,
  type PriceStep,
  PriceStepSchema,
  type RecognitionStep,
  RecognitionStepSchema,
  STEP_NAMES,
  STEPS,
  type StepDefinition,
  type StepKey,
  type StepResults,
} from './steps/schemas';
export { type JsonSchema, strictModeProblems } from './steps/strict-schema';
