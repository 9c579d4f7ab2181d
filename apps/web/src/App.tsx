import { type ReactNode, useEffect } from 'react';
import { Layout, ReconnectingBanner, SimulatedBanner } from './components/Layout';
import { authClient } from './lib/auth';
import { matchPath, navigate, useLocation } from './lib/router';
import { EmailVerifiedPage, ForgotPasswordPage, ResetPasswordPage } from './pages/AccountPages';
import { AnalysisPage } from './pages/AnalysisPage';
import { AuthPage } from './pages/AuthPage';
import { CreditsPage } from './pages/CreditsPage';
import { HistoryPage } from './pages/HistoryPage';
import { NewAnalysisPage } from './pages/NewAnalysisPage';

const TITLES: Record<string, string> = {
  '/': 'New analysis',
  '/analyses': 'History',
  '/credits': 'Credits',
  '/sign-in': 'Sign in',
  '/sign-up': 'Create account',
  '/forgot-password': 'Forgot password',
  '/reset-password': 'Reset password',
  '/email-verified': 'Email verification',
};

/** Pages the account emails lead to: shown signed in or out, never redirected away from. */
const ACCOUNT_ROUTES = ['/forgot-password', '/reset-password', '/email-verified'];

export function App() {
  const { pathname, search } = useLocation();
  const session = authClient.useSession();
  const publicRoute = pathname === '/sign-in' || pathname === '/sign-up';
  const accountRoute = ACCOUNT_ROUTES.includes(pathname);
  const user = session.data?.user;

  useEffect(() => {
    document.title = `${TITLES[pathname] ?? (pathname.startsWith('/analyses/') ? 'Analysis' : 'Revmemo')} · Revmemo`;
  }, [pathname]);

  useEffect(() => {
    if (session.isPending || accountRoute) return;
    if (!user && !publicRoute)
      navigate(`/sign-in?next=${encodeURIComponent(pathname + search)}`, { replace: true });
    if (user && publicRoute) navigate(new URLSearchParams(search).get('next') || '/', { replace: true });
  }, [session.isPending, user, publicRoute, accountRoute, pathname, search]);

  if (session.isPending) {
    return (
      <div className="boot" aria-busy="true">
        <span className="spinner" aria-hidden="true" /> Loading…
      </div>
    );
  }

  if (accountRoute) {
    return (
      <div className="auth-shell">
        <SimulatedBanner />
        <ReconnectingBanner />
        {pathname === '/forgot-password' && <ForgotPasswordPage />}
        {pathname === '/reset-password' && <ResetPasswordPage />}
        {pathname === '/email-verified' && <EmailVerifiedPage signedIn={Boolean(user)} />}
      </div>
    );
  }

  if (!user || publicRoute) {
    return (
      <div className="auth-shell">
        <SimulatedBanner />
        <ReconnectingBanner />
        <AuthPage mode={pathname === '/sign-up' ? 'sign-up' : 'sign-in'} />
      </div>
    );
  }

  const analysis = matchPath('/analyses/:id', pathname);
  let page: ReactNode;
  if (pathname === '/') page = <NewAnalysisPage />;
  else if (pathname === '/analyses') page = <HistoryPage />;
  else if (analysis?.id) page = <AnalysisPage analysisId={analysis.id} />;
  else if (pathname === '/credits') page = <CreditsPage />;
  else
    page = (
      <div className="page">
        <h1>Page not found</h1>
        <p>
          <a href="/">Start a new analysis</a>
        </p>
      </div>
    );

  return (
    <Layout email={user.email} emailVerified={user.emailVerified}>
      {page}
    </Layout>
  );
}
