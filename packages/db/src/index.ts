export { createDb, type Db, type DbHandle, type Schema, type Sql, type Tx } from './client';
export {
  AnalysisNotFoundError,
  DbError,
  DuplicateLedgerEntryError,
  IdempotencyConflictError,
  InsufficientCreditsError,
  InvalidCursorError,
  QuoteAlreadyUsedError,
  QuoteExpiredError,
  QuoteNotFoundError,
  RedactedDbError,
  redactError,
  serializeError,
} from './errors';
export { MIGRATIONS_FOLDER, migrate } from './migrate';
export { type MigrationStatus, migrationStatus } from './migration-status';
export {
  getAnalysis,
  getAnalysisForUser,
  getProgressForUser,
  listAnalyses,
  type SubmitInput,
  type SubmitResult,
  submitAnalysis,
} from './repo/analyses';
export {
  applyStripePurchase,
  type Balance,
  ensureAccount,
  type GrantInput,
  getBalance,
  grantCredits,
  grantWelcomeCredits,
  listTransactions,
  type StripePurchaseInput,
} from './repo/credits';
export { checkLedgerInvariants } from './repo/invariants';
export {
  beginRun,
  type CaptureInput,
  captureAnalysis,
  listQueuedOlderThan,
  listRunning,
  listStatuses,
  type ModelUsage,
  markRunning,
  type ProgressUpdate,
  type ReleaseInput,
  type RunStart,
  releaseAnalysis,
  updateProgress,
} from './repo/lifecycle';
export { cleanUpExpiredQuotes, createQuote, type NewQuote, type QuoteCleanupResult } from './repo/quotes';
export { ensureSecret } from './repo/secrets';
export {
  listSteps,
  type ModelCallRecord,
  recordModelCall,
  type StepCheckpoint,
  type StoredStep,
  saveStep,
  saveStepWithProgress,
} from './repo/steps';
export { getUserByEmail, getUserById, setUserRole, type UserRow } from './repo/users';
export type {
  AnalysisRow,
  AnalysisSummary,
  CreditAccountRow,
  CreditHoldRow,
  LedgerEntryRow,
  Page,
  QuoteRow,
} from './rows';
export * as schema from './schema/index';
export {
  ANALYSIS_STATUSES,
  type AnalysisStatus,
  account,
  analyses,
  analysisSteps,
  apikey,
  appSecrets,
  creditAccounts,
  creditHolds,
  creditTransactions,
  HOLD_STATUSES,
  type HoldStatus,
  LEDGER_REASONS,
  type LedgerReason,
  quotes,
  session,
  stripeEvents,
  user,
  verification,
} from './schema/index';
