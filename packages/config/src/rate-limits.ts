import { z } from 'zod';

/**
 * The account limits (docs/limits.md): how many times something may be done per window, counted in
 * Redis so every web process shares one budget. Each has one variable, written
 * `<count>/<window>` with the window in s, m or h (`30/1m`, `10/1h`).
 */
export const RATE_LIMITS = {
  /** analysis.quote and POST /api/quotes (both store a contract's text), per account. */
  quote: { variable: 'RATE_LIMIT_QUOTE', default: '30/1m' },
  /** analysis.submit, per account. */
  submit: { variable: 'RATE_LIMIT_SUBMIT', default: '30/1m' },
  /** analysis.cancel, per account. */
  cancel: { variable: 'RATE_LIMIT_CANCEL', default: '30/1m' },
  /** credits.checkout (each call creates a Stripe Checkout Session), per account. */
  checkout: { variable: 'RATE_LIMIT_CHECKOUT', default: '10/10m' },
  /** credits.confirmCheckout (asks Stripe), per account. */
  confirmCheckout: { variable: 'RATE_LIMIT_CONFIRM_CHECKOUT', default: '30/1m' },
  /** POST /api/auth/api-key/create, per account. */
  apiKeyCreate: { variable: 'RATE_LIMIT_API_KEY_CREATE', default: '10/1h' },
  /** POST /api/auth/sign-in/*, per client address. */
  signInAddress: { variable: 'RATE_LIMIT_SIGN_IN_ADDRESS', default: '60/10m' },
  /** POST /api/auth/sign-in/*, per email address tried (password guessing against one account). */
  signInEmail: { variable: 'RATE_LIMIT_SIGN_IN_EMAIL', default: '10/10m' },
  /** POST /api/auth/sign-up/*, per client address. */
  signUpAddress: { variable: 'RATE_LIMIT_SIGN_UP_ADDRESS', default: '10/1h' },
  /** POST /api/auth/sign-up/*, per email address. */
  signUpEmail: { variable: 'RATE_LIMIT_SIGN_UP_EMAIL', default: '5/1h' },
  /** Every other /api/auth/* request (sessions, sign-out, mail-sending flows), per client address. */
  authAddress: { variable: 'RATE_LIMIT_AUTH_ADDRESS', default: '120/1m' },
  /** Every other POST /api/auth/* that names an email address (reset and verification mails), per email. */
  authEmail: { variable: 'RATE_LIMIT_AUTH_EMAIL', default: '10/1h' },
} as const;

export type RateLimitName = keyof typeof RATE_LIMITS;
type RateLimitVariable = (typeof RATE_LIMITS)[RateLimitName]['variable'];

export interface RateLimitRule {
  points: number;
  windowSeconds: number;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600 } as const;

function parseRule(v: string): RateLimitRule | null {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*([smh])\s*$/.exec(v);
  if (!m) return null;
  const points = Number(m[1]);
  const windowSeconds = Number(m[2]) * UNIT_SECONDS[m[3] as keyof typeof UNIT_SECONDS];
  return points >= 1 && windowSeconds >= 1 ? { points, windowSeconds } : null;
}

const ruleSchema = (def: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v : def),
    z
      .string()
      .refine((v) => parseRule(v) !== null, {
        message: 'must look like 30/1m (count/window; window in s, m or h)',
      })
      .transform((v) => parseRule(v) as RateLimitRule),
  );

/** The zod shape of every RATE_LIMIT_* variable, spread into the environment schema. */
export const rateLimitEnvShape = Object.fromEntries(
  Object.values(RATE_LIMITS).map((l) => [l.variable, ruleSchema(l.default)]),
) as Record<RateLimitVariable, ReturnType<typeof ruleSchema>>;

/** The parsed rules by limit name. */
export function rateLimitsFromEnv(
  e: Record<RateLimitVariable, RateLimitRule>,
): Record<RateLimitName, RateLimitRule> {
  return Object.fromEntries(Object.entries(RATE_LIMITS).map(([name, l]) => [name, e[l.variable]])) as Record<
    RateLimitName,
    RateLimitRule
  >;
}
