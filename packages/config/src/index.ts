export { type Config, ConfigError, parseConfig, loadConfig, readEnv, SIMULATED_MODEL } from './config';
export { type PricingTier, type CreditPack, DEFAULT_PRICING_TIERS, DEFAULT_CREDIT_PACKS } from './pricing';
