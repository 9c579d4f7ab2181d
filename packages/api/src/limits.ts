import type { Config } from '@revmemo/config';
import { ACCEPTED_EXTENSIONS, FIXED_LIMITS, type Limits } from '@revmemo/contracts';
import type { ExtractionLimits } from '@revmemo/engine';

/**
 * Every limit on what a user sends, from its one definition (FIXED_LIMITS in contracts, the rest from
 * the environment). The server enforces these values and announces the same object in
 * `system.limits`, which the web page reads instead of keeping its own numbers.
 */
export function limitsOf(config: Config): Limits {
  return {
    maxFiles: FIXED_LIMITS.maxFiles,
    maxUploadBytes: config.pricing.maxUploadBytes,
    maxWords: config.pricing.maxWords,
    maxContextChars: FIXED_LIMITS.maxContextChars,
    maxTextChars: FIXED_LIMITS.maxTextChars,
    maxFilenameChars: FIXED_LIMITS.maxFilenameChars,
    maxPdfPages: config.extraction.maxPdfPages,
    maxDocxPartBytes: config.extraction.maxDocxPartBytes,
    extractionTimeoutMs: config.extraction.timeoutMs,
    acceptedExtensions: [...ACCEPTED_EXTENSIONS],
  };
}

export function extractionLimitsOf(config: Config): ExtractionLimits {
  return {
    maxPages: config.extraction.maxPdfPages,
    maxPartBytes: config.extraction.maxDocxPartBytes,
    maxChars: FIXED_LIMITS.maxTextChars,
    timeoutMs: config.extraction.timeoutMs,
    memoryMb: config.extraction.memoryMb,
    concurrency: config.extraction.concurrency,
    maxQueue: config.extraction.maxQueue,
  };
}
