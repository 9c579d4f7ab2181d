import { apiKey } from '@better-auth/api-key';
import type { Config } from '@revmemo/config';
import { type Db, grantCredits, schema } from '@revmemo/db';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';

/**
 * Better Auth: email + password, httpOnly cookie sessions, stored through the Drizzle adapter in
 * our own schema. New users get SIGNUP_CREDITS as one `adjustment` ledger entry.
 */
/** Better Auth prints to the console by default; the service logs only through pino. */
export interface AuthLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export function createAuth(config: Config, db: Db, log?: AuthLog) {
  const secure = config.http.websiteUrl.startsWith('https://');
  return betterAuth({
    appName: 'Revmemo',
    secret: config.auth.secret,
    baseURL: config.http.websiteUrl,
    ...(log
      ? {
          logger: {
            log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, ...args: unknown[]) => {
              const err = args.find((a) => a instanceof Error);
              const fields = { component: 'auth', ...(err ? { err } : {}) };
              if (level === 'error') log.error(fields, message);
              else if (level === 'warn') log.warn(fields, message);
              else if (level === 'info') log.info(fields, message);
            },
          },
        }
      : {}),
    basePath: '/api/auth',
    trustedOrigins: [config.http.websiteUrl],
    database: drizzleAdapter(db, {
      provider: 'pg',
      schema: {
        user: schema.user,
        session: schema.session,
        account: schema.account,
        verification: schema.verification,
        apikey: schema.apikey,
      },
    }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, autoSignIn: true },
    user: {
      additionalFields: { role: { type: 'string', defaultValue: 'user', input: false, required: false } },
    },
    session: { expiresIn: 30 * 86_400, updateAge: 86_400, cookieCache: { enabled: true, maxAge: 60 } },
    advanced: { useSecureCookies: secure },
    // Sign-in throttling per IP; Better Auth keeps the counters in memory per process.
    rateLimit: { enabled: config.env === 'production', window: 60, max: 30 },
    // API keys for integrations (x-api-key header); our own rate limits apply, not the plugin's 10/day.
    plugins: [apiKey({ defaultPrefix: 'rvm_', apiKeyHeaders: 'x-api-key', rateLimit: { enabled: false } })],
    databaseHooks: {
      user: {
        create: {
          after: async (user) => {
            if (config.auth.signupCredits > 0) {
              await grantCredits(db, {
                userId: user.id,
                amount: config.auth.signupCredits,
                reason: 'adjustment',
                description: 'Welcome credits',
              });
            }
          },
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
