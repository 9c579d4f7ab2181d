import type { RouterOutputs } from '@revmemo/api';
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { userErrorFrom } from '../lib/errors';
import { credits, dateTime, nf, usd } from '../lib/format';
import { Link, useLocation } from '../lib/router';
import { queryClient, trpc } from '../lib/trpc';

type LedgerReason = RouterOutputs['credits']['history']['items'][number]['reason'];

const REASONS: Record<LedgerReason, string> = {
  purchase: 'Purchase',
  analysis_charge: 'Analysis',
  adjustment: 'Adjustment',
  refund: 'Refund',
};

export function CreditsPage() {
  const { search } = useLocation();
  const checkout = new URLSearchParams(search).get('checkout');
  const balance = useQuery(
    trpc.credits.balance.queryOptions(undefined, { refetchInterval: checkout === 'success' ? 3000 : false }),
  );
  const packs = useQuery(trpc.credits.packs.queryOptions());
  const history = useInfiniteQuery(
    trpc.credits.history.infiniteQueryOptions(
      { limit: 20 },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
  const buy = useMutation(trpc.credits.checkout.mutationOptions());
  // Back from Checkout: ask the server to look the session up at Stripe, so the credits appear without
  // waiting for the webhook (both paths credit a session once).
  const sessionId = new URLSearchParams(search).get('session_id');
  const confirm = useMutation(
    trpc.credits.confirmCheckout.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.credits.pathKey() }),
    }),
  );
  const { mutate: confirmCheckout } = confirm;
  useEffect(() => {
    if (checkout === 'success' && sessionId) confirmCheckout({ sessionId });
  }, [checkout, sessionId, confirmCheckout]);
  const [buyError, setBuyError] = useState<string | null>(null);
  const [pendingPack, setPendingPack] = useState<string | null>(null);

  async function purchase(pack: string) {
    setBuyError(null);
    setPendingPack(pack);
    try {
      const { url } = await buy.mutateAsync({ pack });
      window.location.assign(url);
    } catch (err) {
      setBuyError(userErrorFrom(err).message);
      setPendingPack(null);
    }
  }

  const rows = history.data?.pages.flatMap((p) => p.items) ?? [];
  const enabled = packs.data?.enabled ?? false;

  return (
    <div className="page">
      <header className="page-header">
        <h1>Credits</h1>
        <p className="lede">
          An analysis is priced by the length of the documents. Credits are held while it runs and charged
          only when the memo is delivered.
        </p>
      </header>

      {checkout === 'success' && (
        <div className="alert alert-success" role="status">
          <strong>Thank you!</strong> Your payment went through; the credits appear here as soon as Stripe
          confirms it.
        </div>
      )}
      {checkout === 'canceled' && (
        <div className="alert alert-warn" role="status">
          Checkout was canceled. Nothing was charged.
        </div>
      )}

      <section className="stats" aria-label="Balance">
        <div className="stat card">
          <span className="stat-label">Available</span>
          <span className="stat-value" data-testid="available">
            {balance.data ? nf.format(balance.data.available) : '…'}
          </span>
        </div>
        <div className="stat card">
          <span className="stat-label">Held for running analyses</span>
          <span className="stat-value" data-testid="held">
            {balance.data ? nf.format(balance.data.held) : '…'}
          </span>
        </div>
        <div className="stat card">
          <span className="stat-label">Balance</span>
          <span className="stat-value" data-testid="balance">
            {balance.data ? nf.format(balance.data.balance) : '…'}
          </span>
        </div>
      </section>

      <section className="card" aria-labelledby="packs-heading">
        <h2 id="packs-heading" className="card-title">
          Buy credits
        </h2>
        {packs.data && !enabled && (
          <p className="alert alert-info" id="purchases-off" data-testid="purchases-off">
            Purchases are not available on this server: no payment provider (Stripe) is configured. Ask an
            administrator to add credits.
          </p>
        )}
        <div className="packs">
          {(packs.data?.packs ?? []).map((p) => (
            <div key={p.id} className="pack">
              <span className="pack-name">{p.name.split(':')[0]}</span>
              <span className="pack-price">{usd(p.priceCents)}</span>
              <span className="pack-credits">
                {credits(p.credits)} · {usd(Math.round(p.priceCents / p.credits))} per credit
              </span>
              <button
                type="button"
                className="btn btn-primary btn-block"
                disabled={!enabled || buy.isPending}
                onClick={() => purchase(p.id)}
                aria-label={`Buy ${p.name}`}
                aria-describedby={!enabled ? 'purchases-off' : undefined}
              >
                {pendingPack === p.id ? 'Opening checkout…' : 'Buy'}
              </button>
            </div>
          ))}
        </div>
        {buyError && (
          <p className="form-error" role="alert">
            {buyError}
          </p>
        )}
      </section>

      <section className="card card-flush" aria-labelledby="ledger-heading">
        <h2 id="ledger-heading" className="card-title card-title-padded">
          History
        </h2>
        {rows.length === 0 && history.isSuccess && <p className="hint card-pad">No transactions yet.</p>}
        {rows.length > 0 && (
          <table className="ledger">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Type</th>
                <th scope="col">Description</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  Balance
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id} data-reason={t.reason}>
                  <td data-label="Date">{dateTime(t.createdAt)}</td>
                  <td data-label="Type">{REASONS[t.reason]}</td>
                  <td data-label="Description">{t.description ?? '—'}</td>
                  <td data-label="Amount" className={`num ${t.amount < 0 ? 'negative' : 'positive'}`}>
                    {t.amount > 0 ? '+' : ''}
                    {nf.format(t.amount)}
                  </td>
                  <td data-label="Balance" className="num">
                    {nf.format(t.balanceAfter)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {history.hasNextPage && (
          <div className="actions actions-center card-pad">
            <button
              type="button"
              className="btn btn-secondary"
              onClick={() => history.fetchNextPage()}
              disabled={history.isFetchingNextPage}
            >
              Show more
            </button>
          </div>
        )}
      </section>
      <p className="hint">
        <Link to="/">Start a new analysis</Link>
      </p>
    </div>
  );
}
