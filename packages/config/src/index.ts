export {
  CAPACITY_DEFAULTS,
  type Config,
  ConfigError,
  describeEnv,
  type EnvVariableStatus,
  EXTRACTION_DEFAULTS,
  loadConfig,
  parseConfig,
  readEnv,
  SIMULATED_MODEL,
} from './config';
export { type CreditPack, DEFAULT_CREDIT_PACKS, DEFAULT_PRICING_TIERS, type PricingTier } from './pricing';
