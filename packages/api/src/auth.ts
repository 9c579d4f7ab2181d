import { apiKey } from '@better-auth/api-key';
import type { Config } from '@revmemo/config';
import { type Db, grantWelcomeCredits, schema } from '@revmemo/db';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { passwordResetEmail, verificationEmail } from './account-emails';
import type { Mailer, MailMessage } from './mail';

/**
 * Better Auth: email + password, httpOnly cookie sessions, stored through the Drizzle adapter in
 * our own schema. Sign-up sends a verification link; following it grants SIGNUP_CREDITS once (one
 * `adjustment` ledger entry with grant key `welcome`). Unverified users may sign in and buy credits.
 * Forgotten passwords are reset by an emailed link. See docs/accounts.md.
 */
/** Better Auth prints to the console by default; the service logs only through pino. */
export interface AuthLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Where the links in account mail land: pages of the web app (apps/web/src/pages/AccountPages.tsx). */
const ACCOUNT_PAGES = { emailVerified: '/email-verified', resetPassword: '/reset-password' } as const;

export function createAuth(config: Config, db: Db, mailer: Mailer, log?: AuthLog) {
  const secure = config.http.websiteUrl.startsWith('https://');
  const site = config.http.websiteUrl.replace(/\/$/, '');
  // Not awaited: the answer to "reset my password" must not take longer for an address that exists
  // (that would tell who has an account), and a slow mail server must not hold up a sign-up.
  const deliver = (message: MailMessage) => {
    mailer.send(message).catch((err: unknown) => {
      log?.error({ component: 'mail', err, subject: message.subject }, 'sending account email failed');
    });
  };
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
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 8,
      autoSignIn: true,
      // Sign-in works before the email is verified (so the product stays usable and credits can be
      // bought); only the welcome credits wait for verification.
      requireEmailVerification: false,
      resetPasswordTokenExpiresIn: 60 * 60,
      // Whoever knew the old password is signed out everywhere.
      revokeSessionsOnPasswordReset: true,
      sendResetPassword: async ({ user, token }) => {
        deliver(
          passwordResetEmail(
            user.email,
            `${site}${ACCOUNT_PAGES.resetPassword}?token=${encodeURIComponent(token)}`,
          ),
        );
      },
    },
    emailVerification: {
      sendOnSignUp: true,
      autoSignInAfterVerification: true,
      expiresIn: 60 * 60,
      sendVerificationEmail: async ({ user, token }) => {
        // Always back to our result page (whatever callbackURL the request named); errors arrive as ?error=.
        const done = encodeURIComponent(`${site}${ACCOUNT_PAGES.emailVerified}`);
        const link = `${site}/api/auth/verify-email?token=${encodeURIComponent(token)}&callbackURL=${done}`;
        deliver(verificationEmail(user.email, link, config.auth.signupCredits));
      },
      // Before the verified flag is set, not after: if the grant fails the verification fails too and
      // the link can be followed again; the ledger's unique (user, grant key) keeps it to one grant.
      beforeEmailVerification: async (user) => {
        if (config.auth.signupCredits > 0)
          await grantWelcomeCredits(db, { userId: user.id, amount: config.auth.signupCredits });
      },
    },
    user: {
      additionalFields: { role: { type: 'string', defaultValue: 'user', input: false, required: false } },
    },
    session: { expiresIn: 60 * 60 * 24 * 30, updateAge: 60 * 60 * 24 },
    advanced: { useSecureCookies: secure },
    // Sign-in throttling per IP; Better Auth keeps the counters in memory per process.
    rateLimit: { enabled: config.env === 'production', window: 60, max: 30 },
    // API keys for integrations (x-api-key header); our own rate limits apply, not the plugin's 10/day.
    plugins: [apiKey({ defaultPrefix: 'rvm_', apiKeyHeaders: 'x-api-key', rateLimit: { enabled: false } })],
  });
}

export type Auth = ReturnType<typeof createAuth>;
