import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { authClient } from '../lib/auth';
import { credits } from '../lib/format';
import { Link, navigate, useLocation } from '../lib/router';
import { queryClient, trpc, useReconnecting } from '../lib/trpc';

const NAV = [
  { to: '/', label: 'New analysis' },
  { to: '/analyses', label: 'History' },
  { to: '/credits', label: 'Credits' },
];

export function SimulatedBanner() {
  const info = useQuery(trpc.system.info.queryOptions(undefined, { staleTime: 60_000 }));
  if (!info.data?.simulatedModel) return null;
  return (
    <div className="banner" role="note" data-testid="simulated-banner">
      <strong>Demo mode:</strong> no AI provider is configured, so memos come from a simulated model and are
      not real accounting advice.
    </div>
  );
}

/** Shown while calls are being retried after a 503 (a database restarting): they go through by themselves. */
export function ReconnectingBanner() {
  const reconnecting = useReconnecting();
  if (!reconnecting) return null;
  return (
    <div className="banner banner-reconnecting" role="status" data-testid="reconnecting-banner">
      <span className="spinner" aria-hidden="true" /> Reconnecting… the service is briefly unavailable; your
      request will go through by itself in a few seconds.
    </div>
  );
}

/** On every signed-in page until the email is verified: where the link went, and a way to resend it. */
function VerifyEmailBanner({ email, signupCredits }: { email: string; signupCredits: number }) {
  const [state, setState] = useState<'idle' | 'sending' | 'sent' | 'failed'>('idle');
  async function resend() {
    setState('sending');
    try {
      const res = await authClient.sendVerificationEmail({ email });
      setState(res.error ? 'failed' : 'sent');
    } catch {
      setState('failed');
    }
  }
  return (
    <div className="banner banner-verify" role="status" data-testid="verify-banner">
      <strong>Check your email:</strong> we sent a link to {email} to confirm your address
      {signupCredits > 0 ? ` and release your ${signupCredits} free credits` : ''}.{' '}
      {state === 'sent' ? (
        <span data-testid="verify-resent">A new link is on its way.</span>
      ) : (
        <button
          type="button"
          className="btn btn-ghost btn-small banner-action"
          onClick={resend}
          disabled={state === 'sending'}
        >
          {state === 'failed' ? 'Could not send; try again' : 'Send a new link'}
        </button>
      )}
    </div>
  );
}

export function Layout({
  email,
  emailVerified,
  children,
}: {
  email: string;
  emailVerified: boolean;
  children: ReactNode;
}) {
  const { pathname } = useLocation();
  const info = useQuery(trpc.system.info.queryOptions(undefined, { staleTime: 60_000 }));
  const balance = useQuery(trpc.credits.balance.queryOptions(undefined, { refetchInterval: 30_000 }));

  async function signOut() {
    await authClient.signOut();
    queryClient.clear();
    navigate('/sign-in', { replace: true });
  }

  const active = (to: string) =>
    to === '/' ? pathname === '/' : pathname === to || pathname.startsWith(`${to}/`);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <SimulatedBanner />
      <ReconnectingBanner />
      {!emailVerified && <VerifyEmailBanner email={email} signupCredits={info.data?.signupCredits ?? 0} />}
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand" aria-label="Revmemo home">
            <span className="brand-mark" aria-hidden="true">
              R
            </span>
            <span className="brand-name">Revmemo</span>
          </Link>
          <nav aria-label="Main" className="nav">
            {NAV.map((n) => (
              <Link
                key={n.to}
                to={n.to}
                className="nav-link"
                aria-current={active(n.to) ? 'page' : undefined}
              >
                {n.label}
              </Link>
            ))}
          </nav>
          <div className="account">
            <Link to="/credits" className="balance-chip" title="Available credits" data-testid="balance-chip">
              {balance.data ? credits(balance.data.available) : '…'}
            </Link>
            <span className="account-email" title={email}>
              {email}
            </span>
            <button type="button" className="btn btn-ghost btn-small" onClick={signOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
