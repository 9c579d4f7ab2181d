export type { Flag, FlagKind } from './checks/flags';
export { type Review, reviewAnalysis } from './checks/index';
export type { NumbersCheck } from './checks/numbers';
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
export { DRAFT_TITLE, type DraftInput, type MemoDraft, renderDraftMemo } from './memo/draft';
export {
  MEMO_SECTIONS,
  MEMO_TITLE,
  type MemoInput,
  NOT_PERFORMED_TITLE,
  renderMemo,
  SIMULATED_NOTICE,
} from './memo/render';
export type { ModelBudget } from './model/budget';
export { classifyModelError, type ModelErrorClass, retryAfterOf, toAnalysisError } from './model/classify';
export { createModelClient, type ModelClientOptions } from './model/client';
export { estimateCostUsd } from './model/cost';
export { isCutOff, parsePartialJson } from './model/partial-json';
export { DEFAULT_STEP_RETRY, type StepRetryPolicy, withStepRetry } from './model/retry';
export type { CallUsage } from './model/structured-call';
export {
  creditsToCharge,
  type FinishedStep,
  type FinishedSteps,
  type ModelCall,
  type PipelineInput,
  type PipelineResult,
  type PipelineUsage,
  runPipeline,
  type StepDone,
  type StepPartial,
  type StepRetryWait,
  type StructuredAnswers,
} from './pipeline';
export {
  type PreparedDocuments,
  prepareDocuments,
  type Section,
  splitSections,
} from './preparation/sections';
export { checkTokenBudget, countTokens } from './preparation/tokens';
export { billableWords, type PricingRules, priceForText, priceForWords, TOKENS_PER_WORD } from './pricing';
export { quoteFound, type Source } from './steps/evidence';
export { describePartial } from './steps/findings';
export { PROMPT_VERSION, SYSTEM_PROMPT } from './steps/prompts';
export {
  type AllocationStep,
  AllocationStepSchema,
  type AnalysisSteps,
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
  stepFor,
} from './steps/schemas';
export { noteSources, sectionSources } from './steps/sources';
export { type JsonSchema, strictModeProblems } from './steps/strict-schema';
