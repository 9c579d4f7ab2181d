export { type Auth, createAuth } from './auth';
export { type Context, createContext, type SessionUser, toFetchHeaders } from './context';
export { type ApiDeps, createApiDeps, type Logger } from './deps';
export { AppError } from './errors';
export { type AppRouter, appRouter } from './root';
export { createQuoteService, type UploadedFile } from './services/quote.service';
export { handleStripeWebhook, type WebhookResult } from './services/stripe-webhook';
