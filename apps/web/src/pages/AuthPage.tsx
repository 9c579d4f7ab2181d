import { type FormEvent, useId, useState } from 'react';
import { FormError } from '../components/FormError';
import { authClient } from '../lib/auth';
import { Link, navigate, useLocation } from '../lib/router';
import { queryClient } from '../lib/trpc';

type Mode = 'sign-in' | 'sign-up';

/** Better Auth's messages are fine for users; a few common cases get plainer words. */
function authMessage(
  error: { message?: string; code?: string; status?: number } | null | undefined,
  mode: Mode,
): string {
  if (!error) return 'Something went wrong. Please try again.';
  const code = error.code ?? '';
  if (code === 'INVALID_EMAIL_OR_PASSWORD') return 'The email or password is not correct.';
  if (code.includes('USER_ALREADY_EXISTS'))
    return 'An account with this email already exists. Sign in instead.';
  if (code === 'PASSWORD_TOO_SHORT') return 'Use a password of at least 8 characters.';
  // The server's refusal says how long to wait (apps/server/src/routes/auth.ts).
  if (error.status === 429) return error.message || 'Too many attempts. Wait a minute and try again.';
  return error.message || (mode === 'sign-in' ? 'Could not sign in.' : 'Could not create the account.');
}

export function AuthPage({ mode }: { mode: Mode }) {
  const { search } = useLocation();
  const next = new URLSearchParams(search).get('next') || '/';
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const errorId = `${id}-error`;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setError(null);
    if (mode === 'sign-up' && password.length < 8) {
      setError('Use a password of at least 8 characters.');
      return;
    }
    setBusy(true);
    try {
      const res =
        mode === 'sign-up'
          ? await authClient.signUp.email({
              email,
              password,
              name: name.trim() || email.split('@')[0] || 'User',
            })
          : await authClient.signIn.email({ email, password });
      if (res.error) {
        setError(authMessage(res.error, mode));
        return;
      }
      queryClient.clear();
      navigate(next, { replace: true });
    } catch {
      setError('The server could not be reached. Check your connection and try again.');
    } finally {
      setBusy(false);
    }
  }

  const other = mode === 'sign-in' ? '/sign-up' : '/sign-in';
  const otherHref = next === '/' ? other : `${other}?next=${encodeURIComponent(next)}`;

  return (
    <main className="auth" id="main">
      <div className="auth-brand">
        <span className="brand-mark" aria-hidden="true">
          R
        </span>
        <span className="brand-name">Revmemo</span>
      </div>
      <p className="auth-tagline">ASC 606 revenue-recognition memos from your customer contracts.</p>
      <form
        className="card auth-card"
        onSubmit={submit}
        aria-describedby={error ? errorId : undefined}
        noValidate
      >
        <h1>{mode === 'sign-in' ? 'Sign in' : 'Create your account'}</h1>
        {mode === 'sign-up' && (
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              name="name"
              autoComplete="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </div>
        )}
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
            aria-invalid={error ? true : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={mode === 'sign-up' ? `${id}-pw-hint` : undefined}
          />
          {mode === 'sign-up' && (
            <p className="hint" id={`${id}-pw-hint`}>
              At least 8 characters.
            </p>
          )}
        </div>
        <FormError error={error} id={errorId} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Please wait…' : mode === 'sign-in' ? 'Sign in' : 'Create account'}
        </button>
        {mode === 'sign-in' && (
          <p className="auth-switch">
            <Link to="/forgot-password">Forgot your password?</Link>
          </p>
        )}
        <p className="auth-switch">
          {mode === 'sign-in' ? 'New to Revmemo? ' : 'Already have an account? '}
          <Link to={otherHref}>{mode === 'sign-in' ? 'Create an account' : 'Sign in'}</Link>
        </p>
      </form>
    </main>
  );
}
