import type { RouterOutputs } from '@revmemo/api';
import { isTerminal } from '@revmemo/contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import { MiniBar, stageLabel } from '../components/ProgressPanel';
import { StatusBadge } from '../components/StatusBadge';
import { userErrorFrom } from '../lib/errors';
import { credits, dateTime } from '../lib/format';
import { useAnalysisProgress } from '../lib/progress';
import { Link } from '../lib/router';
import { queryClient, trpc } from '../lib/trpc';

/** Browsers allow ~6 connections per origin over HTTP/1.1: only the first few running rows stream. */
const MAX_LIVE_ROWS = 3;

type Item = RouterOutputs['analysis']['list']['items'][number];

export function HistoryPage() {
  const list = useInfiniteQuery(
    trpc.analysis.list.infiniteQueryOptions(
      { limit: 20 },
      {
        getNextPageParam: (last) => last.nextCursor ?? undefined,
        // Rows without a live stream still move: poll while anything is unfinished.
        refetchInterval: (q) =>
          q.state.data?.pages.some((p) => p.items.some((i) => !isTerminal(i.status))) ? 4000 : false,
      },
    ),
  );
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  let live = 0;

  return (
    <div className="page">
      <header className="page-header page-header-row">
        <div>
          <h1>History</h1>
          <p className="lede">Your analyses, newest first. Running ones update live.</p>
        </div>
        <Link to="/" className="btn btn-primary">
          New analysis
        </Link>
      </header>

      {list.isPending && <p className="hint">Loading…</p>}
      {list.isError && (
        <div className="alert alert-error" role="alert">
          {userErrorFrom(list.error).message}
        </div>
      )}
      {list.isSuccess && items.length === 0 && (
        <div className="empty card">
          <h2>No analyses yet</h2>
          <p>Upload a contract to get your first ASC 606 memo.</p>
          <Link to="/" className="btn btn-primary">
            Start an analysis
          </Link>
        </div>
      )}

      {items.length > 0 && (
        <div className="card card-flush">
          <table className="history">
            <caption className="visually-hidden">Analyses</caption>
            <thead>
              <tr>
                <th scope="col">Documents</th>
                <th scope="col">Status</th>
                <th scope="col">Credits</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => {
                const streaming = !isTerminal(item.status) && live < MAX_LIVE_ROWS;
                if (streaming) live++;
                return <Row key={item.analysisId} item={item} streaming={streaming} />;
              })}
            </tbody>
          </table>
        </div>
      )}
      {list.hasNextPage && (
        <div className="actions actions-center">
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => list.fetchNextPage()}
            disabled={list.isFetchingNextPage}
          >
            {list.isFetchingNextPage ? 'Loading…' : 'Show more'}
          </button>
        </div>
      )}
    </div>
  );
}

function Row({ item, streaming }: { item: Item; streaming: boolean }) {
  const progress = useAnalysisProgress(item.analysisId, {
    enabled: streaming,
    onTerminal: () => {
      void queryClient.invalidateQueries({ queryKey: trpc.analysis.list.pathKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.credits.pathKey() });
    },
  });
  const ev = streaming && progress.event ? progress.event : item.progress;
  const status = isTerminal(item.status) ? item.status : ev.status;
  const running = !isTerminal(status);
  const charged =
    status === 'completed'
      ? credits(item.finalChargedCredits ?? item.quotedCredits)
      : running
        ? `${credits(item.quotedCredits)} held`
        : 'None';

  return (
    <tr data-analysis-id={item.analysisId} data-status={status}>
      <td data-label="Documents" className="history-docs">
        <Link to={`/analyses/${item.analysisId}`} className="history-link">
          {item.fileNames.join(', ') || 'Untitled'}
        </Link>
        {running && (
          <div className="history-progress">
            <MiniBar
              percent={ev.percent}
              status={status}
              label={`Progress of ${item.fileNames.join(', ')}`}
            />
            <span className="history-stage">{stageLabel(ev.stage)}</span>
          </div>
        )}
      </td>
      <td data-label="Status">
        <StatusBadge status={status} />
      </td>
      <td data-label="Credits" className="num">
        {charged}
      </td>
      <td data-label="Started">{dateTime(item.startedAt)}</td>
      <td data-label="Finished">{item.completedAt ? dateTime(item.completedAt) : '—'}</td>
    </tr>
  );
}
