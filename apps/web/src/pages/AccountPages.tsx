import { useQuery } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { FormError } from '../components/FormError';
import { authClient } from '../lib/auth';
import { Link, useLocation } from '../lib/router';
import { trpc } from '../lib/trpc';

/*
 * The pages the account emails lead to (docs/accounts.md): "forgot password" asks for the link,
 * "reset password" is where the link lands, "email verified" is where Better Auth's verify-email
 * endpoint redirects (with ?error= when the link was bad). Each works signed in or out.
 */

function AccountShell({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth" id="main">
      <div className="auth-brand">
        <span className="brand-mark" aria-hidden="true">
          R
        </span>
        <span className="brand-name">Revmemo</span>
      </div>
      <div className="card auth-card">
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setError(null);
    setBusy(true);
    try {
      const res = await authClient.requestPasswordReset({ email: email.trim() });
      if (res.error)
        setError(
          res.error.status === 429
            ? res.error.message || 'Too many attempts. Wait a minute and try again.'
            : res.error.message || 'Could not send the link.',
        );
      else setSentTo(email.trim());
    } catch {
      setError('The server could not be reached. Check your connection and try again.');
    } finally {
      setBusy(false);
    }
  }

  if (sentTo)
    return (
      <AccountShell title="Check your email">
        <p data-testid="reset-sent">
          If an account exists for <strong>{sentTo}</strong>, we sent it a link to choose a new password. The
          link works once, for 1 hour.
        </p>
        <p className="auth-switch">
          <Link to="/sign-in">Back to sign in</Link>
        </p>
      </AccountShell>
    );

  return (
    <AccountShell title="Forgot your password?">
      <form onSubmit={submit} noValidate>
        <p className="hint">
          Enter the email of your account and we will send you a link to choose a new password.
        </p>
        <div className="field">
          <label htmlFor={`${id}-email`}>Email</label>
          <input
            id={`${id}-email`}
            name="email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        <FormError error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || !email.trim()}>
          {busy ? 'Please wait…' : 'Send reset link'}
        </button>
        <p className="auth-switch">
          <Link to="/sign-in">Back to sign in</Link>
        </p>
      </form>
    </AccountShell>
  );
}

export function ResetPasswordPage() {
  const { search } = useLocation();
  const token = new URLSearchParams(search).get('token') ?? '';
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [badLink, setBadLink] = useState(!token);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setError(null);
    if (password.length < 8) {
      setError('Use a password of at least 8 characters.');
      return;
    }
    setBusy(true);
    try {
      const res = await authClient.resetPassword({ newPassword: password, token });
      if (res.error) {
        if (res.error.code === 'INVALID_TOKEN') setBadLink(true);
        else setError(res.error.message || 'Could not change the password.');
      } else setDone(true);
    } catch {
      setError('The server could not be reached. Check your connection and try again.');
    } finally {
      setBusy(false);
    }
  }

  if (badLink)
    return (
      <AccountShell title="This link does not work">
        <p className="form-error" role="alert" data-testid="reset-link-invalid">
          The reset link has expired or was already used.
        </p>
        <p className="auth-switch">
          <Link to="/forgot-password">Ask for a new link</Link>
        </p>
      </AccountShell>
    );

  if (done)
    return (
      <AccountShell title="Password changed">
        <p data-testid="reset-done">
          Your new password is set, and every other session of the account is signed out.
        </p>
        <p className="auth-switch">
          <a href="/sign-in">Sign in with the new password</a>
        </p>
      </AccountShell>
    );

  return (
    <AccountShell title="Choose a new password">
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-password`}>New password</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby={`${id}-hint`}
          />
          <p className="hint" id={`${id}-hint`}>
            At least 8 characters.
          </p>
        </div>
        <FormError error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Please wait…' : 'Set new password'}
        </button>
      </form>
    </AccountShell>
  );
}

const VERIFY_ERRORS: Record<string, string> = {
  TOKEN_EXPIRED: 'The verification link has expired.',
  INVALID_TOKEN: 'The verification link is not valid (it may be incomplete: copy the whole address).',
  USER_NOT_FOUND: 'The account of this link no longer exists.',
};

export function EmailVerifiedPage({ signedIn }: { signedIn: boolean }) {
  const { search } = useLocation();
  const info = useQuery(trpc.system.info.queryOptions(undefined, { staleTime: 60_000 }));
  const signupCredits = info.data?.signupCredits ?? 0;
  const error = new URLSearchParams(search).get('error');
  if (error)
    return (
      <AccountShell title="Email not verified">
        <p className="form-error" role="alert" data-testid="verify-error">
          {VERIFY_ERRORS[error] ?? 'The email could not be verified.'}
        </p>
        <p className="hint">
          {signedIn
            ? 'Use "Send a new link" in the banner at the top of Revmemo.'
            : 'Sign in and use "Send a new link" in the banner at the top.'}
        </p>
        <p className="auth-switch">
          <a href="/">Continue to Revmemo</a>
        </p>
      </AccountShell>
    );
  return (
    <AccountShell title="Email verified">
      <p data-testid="email-verified">
        Thank you: your email address is confirmed
        {signupCredits > 0 ? ` and your ${signupCredits} welcome credits are in your account` : ''}.
      </p>
      <p className="auth-switch">
        <a href="/">Continue to Revmemo</a>
      </p>
    </AccountShell>
  );
}
