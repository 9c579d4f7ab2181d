import type { MailMessage } from './mail';

/*
 * The two account messages, as plain text and simple HTML. They never quote what the user typed
 * (their name): anyone can sign up with someone else's address, and our mail must not carry a
 * stranger's text to it.
 */

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function message(to: string, subject: string, lines: string[], action: string, link: string): MailMessage {
  const [intro = '', ...after] = lines;
  const text = [intro, '', `${action}: ${link}`, '', ...after].join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2933">
<p>${escapeHtml(intro)}</p>
<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:6px">${escapeHtml(action)}</a></p>
<p style="font-size:13px;color:#52606d">Or open this address: ${escapeHtml(link)}</p>
${after.map((l) => `<p style="font-size:13px;color:#52606d">${escapeHtml(l)}</p>`).join('\n')}
</body></html>`;
  return { to, subject, text, html, link };
}

export function verificationEmail(to: string, link: string, signupCredits: number): MailMessage {
  const credits = signupCredits > 0 ? ` and receive your ${signupCredits} free credits` : '';
  return message(
    to,
    'Verify your email for Revmemo',
    [
      `Please confirm that ${to} is your email address${credits}.`,
      'The link works for 1 hour; you can ask for a new one on the Revmemo page.',
      'If you did not create a Revmemo account, ignore this message.',
    ],
    'Verify email',
    link,
  );
}

export function passwordResetEmail(to: string, link: string): MailMessage {
  return message(
    to,
    'Reset your Revmemo password',
    [
      `Someone (hopefully you) asked to reset the password of the Revmemo account ${to}.`,
      'The link works once, for 1 hour. Resetting signs out every other session of the account.',
      'If you did not ask, ignore this message: your password stays as it is.',
    ],
    'Choose a new password',
    link,
  );
}
