/** The server records what `pnpm ops doctor` should know (forwarding headers with TRUST_PROXY off). */
export { recordUntrustedForwarding } from '@revmemo/queue';
export { type Auth, createAuth } from './auth';
export { type Context, createContext, limitSubjectOf, type SessionUser, toFetchHeaders } from './context';
export {
  type ApiDeps,
  type ApiMetrics,
  anyWorkerAlive,
  createApiDeps,
  type Logger,
  type Readiness,
} from './deps';
export {
  AppError,
  isDependencyUnavailable,
  RETRY_AFTER_SECONDS,
  retryAfterOfError,
  SERVICE_UNAVAILABLE_MESSAGE,
  tooManyRequests,
} from './errors';
export { extractionLimitsOf, limitsOf } from './limits';
export { createProgressSse, PROGRESS_PATH, type ProgressSse } from './progress-sse';
export { createRateLimits, type LimitSubject } from './rate-limits';
export { type AppRouter, appRouter, type RouterInputs, type RouterOutputs } from './root';
export {
  checkContext,
  cleanFilename,
  createQuoteService,
  tooManyFiles,
  type UploadedFile,
} from './services/quote.service';
export { handleStripeWebhook, type WebhookResult } from './services/stripe-webhook';
