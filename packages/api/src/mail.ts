import type { Config } from '@revmemo/config';
import { createTransport } from 'nodemailer';

/**
 * Sends account mail (verification, password reset) over SMTP: MAIL_URL names the server. Without
 * it, outside production, the message is not sent and its link is logged instead, so `pnpm dev` and
 * tests work with no mail server; in production the link is never logged (it would let anyone who
 * reads the logs take over the account). See docs/accounts.md.
 */

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The one link the message is about: what the log shows when no mail server is configured. */
  link: string;
}

export interface MailLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface Mailer {
  /** Resolves once the SMTP server accepted the message (or, without one, it was logged). */
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** A dead or slow mail server fails a send in seconds instead of nodemailer's default minutes. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

export function createMailer(config: Config, log: MailLog): Mailer {
  const { url, from } = config.mail;
  if (!url) {
    const logLinks = config.env !== 'production';
    return {
      async send(m) {
        const fields = { component: 'mail', to: m.to, subject: m.subject };
        if (logLinks)
          log.info(
            { ...fields, link: m.link },
            `email not sent (MAIL_URL is not set): "${m.subject}": ${m.link}`,
          );
        else log.warn(fields, `email not sent: MAIL_URL is not set ("${m.subject}")`);
      },
      close() {},
    };
  }
  const transport = createTransport({ url, ...SMTP_TIMEOUTS }, { from });
  return {
    async send(m) {
      await transport.sendMail({ to: m.to, subject: m.subject, text: m.text, html: m.html });
    },
    close: () => transport.close(),
  };
}
