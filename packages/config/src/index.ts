export {
  CAPACITY_DEFAULTS,
  type Config,
  ConfigError,
  describeEnv,
  type EnvVariableStatus,
  EXTRACTION_DEFAULTS,
  loadConfig,
  PROGRESS_DEFAULTS,
  parseConfig,
  readEnv,
  SIMULATED_MODEL,
} from './config';
export { metricsAuthorized } from './metrics-token';
export { type CreditPack, DEFAULT_CREDIT_PACKS, DEFAULT_PRICING_TIERS, type PricingTier } from './pricing';
export { RATE_LIMITS, type RateLimitName, type RateLimitRule } from './rate-limits';
