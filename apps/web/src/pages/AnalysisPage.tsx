import { isTerminal } from '@revmemo/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { ProgressPanel, useElapsed } from '../components/ProgressPanel';
import { StatusBadge } from '../components/StatusBadge';
import { userErrorFrom } from '../lib/errors';
import { credits, dateTime, duration } from '../lib/format';
import { Markdown } from '../lib/markdown';
import { useAnalysisProgress } from '../lib/progress';
import { Link } from '../lib/router';
import { queryClient, trpc, trpcClient } from '../lib/trpc';

export function AnalysisPage({ analysisId }: { analysisId: string }) {
  const getOptions = trpc.analysis.get.queryOptions({ analysisId });
  const get = useQuery(getOptions);
  const data = get.data;
  const finishedInDb = data ? isTerminal(data.status) : false;

  const progress = useAnalysisProgress(analysisId, {
    // Days later the memo is in Postgres: no stream to follow.
    enabled: !finishedInDb && !get.isError,
    onTerminal: () => {
      void queryClient.invalidateQueries({ queryKey: getOptions.queryKey });
      void queryClient.invalidateQueries({ queryKey: trpc.credits.pathKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.analysis.list.pathKey() });
    },
  });

  // The memo so far; while running only, and refetched when a stage starts (a step has finished),
  // never on partial events (those carry the same stage).
  const liveStage = finishedInDb ? null : (progress.event?.stage ?? data?.progress.stage ?? null);
  const draft = useQuery({
    ...trpc.analysis.draft.queryOptions({ analysisId }),
    enabled: !!data && !finishedInDb && liveStage !== null && liveStage !== 'queued',
  });
  const draftStage = useRef(liveStage);
  useEffect(() => {
    // The first fetch is the query's own; after it, one per stage change.
    if (draftStage.current === liveStage) return;
    draftStage.current = liveStage;
    if (liveStage && liveStage !== 'queued')
      void queryClient.invalidateQueries({ queryKey: trpc.analysis.draft.queryKey({ analysisId }) });
  }, [liveStage, analysisId]);

  const cancel = useMutation(trpc.analysis.cancel.mutationOptions());
  const [cancelError, setCancelError] = useState<string | null>(null);

  if (get.isError) {
    const notFound = (get.error as { data?: { httpStatus?: number } }).data?.httpStatus === 404;
    return (
      <div className="page">
        <h1>{notFound ? 'Analysis not found' : 'Could not load the analysis'}</h1>
        <p>
          {notFound
            ? 'It does not exist, or it belongs to another account.'
            : userErrorFrom(get.error).message}
        </p>
        <p>
          <Link to="/analyses">Back to history</Link>
        </p>
      </div>
    );
  }

  // The database wins once it says the analysis is over; until then the stream is fresher.
  const event = finishedInDb ? (data?.progress ?? null) : (progress.event ?? data?.progress ?? null);
  const status = event?.status ?? data?.status ?? 'queued';
  const connection = finishedInDb ? 'ended' : progress.connection;
  const completed = status === 'completed';
  const ended = isTerminal(status);

  async function onCancel() {
    setCancelError(null);
    try {
      await cancel.mutateAsync({ analysisId });
      void queryClient.invalidateQueries({ queryKey: getOptions.queryKey });
      void queryClient.invalidateQueries({ queryKey: trpc.credits.pathKey() });
    } catch (err) {
      setCancelError(userErrorFrom(err).message);
    }
  }

  return (
    <div
      className="page analysis"
      data-analysis-id={analysisId}
      data-status={status}
      data-stage-log={progress.stages.join(',')}
    >
      <header className="page-header analysis-header">
        <div className="crumbs">
          <Link to="/analyses">History</Link> <span aria-hidden="true">/</span> <span>Analysis</span>
        </div>
        <div className="title-row">
          <h1 className="analysis-title" title={data?.fileNames.join(', ')}>
            {data ? data.fileNames.join(', ') : 'Loading…'}
          </h1>
          <StatusBadge status={status} />
        </div>
        <p className="meta-line">
          <span>Started {dateTime(data?.startedAt)}</span>
          {data?.wordCount != null && <span>{data.wordCount.toLocaleString('en-US')} words</span>}
          <span>
            {completed
              ? `Charged ${credits(data?.finalChargedCredits ?? data?.quotedCredits)}`
              : ended
                ? 'Nothing charged'
                : `Price ${credits(data?.quotedCredits)} (held)`}
          </span>
        </p>
      </header>

      {completed && data ? (
        <CompletedSummary startedAt={data.startedAt} completedAt={data.completedAt} />
      ) : (
        <ProgressPanel
          event={event}
          connection={connection}
          stages={progress.stages}
          startedAt={data?.startedAt}
          completedAt={data?.completedAt}
          finding={finishedInDb ? null : progress.finding}
        />
      )}

      {!ended && (
        <div className="notice" role="note">
          <strong>You can close this page at any time.</strong> The analysis keeps running on our servers;
          come back to it from History. You are charged only when the memo is delivered.
          <div className="notice-actions">
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={onCancel}
              disabled={cancel.isPending}
            >
              {cancel.isPending ? 'Canceling…' : 'Cancel analysis'}
            </button>
            {cancelError && (
              <span className="form-error" role="alert">
                {cancelError}
              </span>
            )}
          </div>
        </div>
      )}

      {(status === 'failed' || status === 'canceled') && (
        <div className="alert alert-error" role="alert" data-testid="analysis-error">
          <strong>{status === 'failed' ? 'The analysis failed' : 'The analysis was canceled'}</strong>
          <p>{data?.errorMessage ?? event?.message}</p>
          <p className="alert-note">Nothing was charged; the held credits are available again.</p>
          <Link to="/" className="btn btn-secondary btn-small">
            Start a new analysis
          </Link>
        </div>
      )}

      {!ended && draft.data && <DraftView draft={draft.data} />}

      {completed && data?.memoContent && (
        <MemoView
          markdown={data.memoContent}
          fileNames={data.fileNames}
          memoUuid={data.memoUuid}
          analysisId={data.analysisId}
        />
      )}
      {completed && data && !data.memoContent && <p className="hint">Loading the memo…</p>}
    </div>
  );
}

/**
 * The finished steps' sections while the analysis runs (docs/memo.md, "Draft while running"):
 * validated answers only, filling in step by step, replaced by the memo when it is delivered.
 */
function DraftView({ draft }: { draft: { markdown: string; finishedSteps: string[]; totalSteps: number } }) {
  return (
    <section
      className="memo-section memo-draft"
      aria-labelledby="draft-heading"
      data-testid="memo-draft"
      data-finished-steps={draft.finishedSteps.join(',')}
    >
      <div className="draft-banner" role="note">
        <h2 id="draft-heading" className="draft-banner-title">
          Draft — the analysis is still running
        </h2>
        <p className="draft-banner-text">
          {draft.finishedSteps.length} of {draft.totalSteps} step{draft.totalSteps === 1 ? '' : 's'} finished.
          Sections fill in as each step is checked; the complete memo replaces this draft when it is ready.
        </p>
      </div>
      <article className="memo memo-draft-body" data-testid="memo-draft-body">
        <Markdown source={draft.markdown} />
      </article>
    </section>
  );
}

function CompletedSummary({ startedAt, completedAt }: { startedAt: string; completedAt: string | null }) {
  const elapsed = useElapsed(startedAt, completedAt ?? startedAt);
  return (
    <section className="done-strip" aria-label="Analysis complete" data-stage="done" data-status="completed">
      <span className="done-check" aria-hidden="true">
        ✓
      </span>
      <span>
        <strong>Memo ready</strong> · finished {dateTime(completedAt)}
        {elapsed != null && ` · took ${duration(elapsed)}`}
      </span>
      <div
        className="bar bar-thin"
        role="progressbar"
        aria-label="Analysis progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={100}
      >
        <div className="bar-fill" style={{ width: '100%' }} />
      </div>
    </section>
  );
}

function baseName(fileNames: string[], memoUuid: string): string {
  const first = fileNames[0]?.replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '-') || 'contract';
  return `ASC606-memo-${first}-${memoUuid.slice(0, 8)}`;
}

function download(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function MemoView({
  markdown,
  fileNames,
  memoUuid,
  analysisId,
}: {
  markdown: string;
  fileNames: string[];
  memoUuid: string;
  analysisId: string;
}) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const [docxBusy, setDocxBusy] = useState(false);
  const [jsonState, setJsonState] = useState<'idle' | 'busy' | 'failed'>('idle');
  const name = baseName(fileNames, memoUuid);

  async function copy() {
    try {
      await navigator.clipboard.writeText(markdown);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
    setTimeout(() => setCopied('idle'), 2500);
  }

  async function docx() {
    setDocxBusy(true);
    try {
      // Loaded on demand: the docx writer is most of the bundle and most visits never need it.
      const { markdownToDocx } = await import('../lib/docx-export');
      download(await markdownToDocx(markdown, `ASC 606 memo: ${fileNames.join(', ')}`), `${name}.docx`);
    } finally {
      setDocxBusy(false);
    }
  }

  // The structured step answers, checks and sources (the audit trail), fetched only when asked for.
  async function json() {
    setJsonState('busy');
    try {
      const exported = await trpcClient.analysis.export.query({ analysisId });
      const text = `${JSON.stringify(exported, null, 2)}\n`;
      download(new Blob([text], { type: 'application/json' }), `${name}.json`);
      setJsonState('idle');
    } catch {
      setJsonState('failed');
    }
  }

  return (
    <section className="memo-section" aria-labelledby="memo-heading">
      <div className="memo-toolbar">
        <h2 id="memo-heading" className="memo-toolbar-title">
          Memo
        </h2>
        <div className="memo-actions">
          <button type="button" className="btn btn-secondary btn-small" onClick={copy}>
            {copied === 'copied' ? 'Copied ✓' : copied === 'failed' ? 'Copy failed' : 'Copy'}
          </button>
          <button
            type="button"
            className="btn btn-secondary btn-small"
            aria-label="Download as Markdown (.md)"
            onClick={() => download(new Blob([markdown], { type: 'text/markdown' }), `${name}.md`)}
          >
            <span className="hide-narrow">Download </span>.md
          </button>
          <button
            type="button"
            className="btn btn-secondary btn-small"
            aria-label="Download as Word (.docx)"
            onClick={docx}
            disabled={docxBusy}
          >
            {docxBusy ? (
              'Preparing…'
            ) : (
              <>
                <span className="hide-narrow">Download </span>.docx
              </>
            )}
          </button>
          <button
            type="button"
            className="btn btn-secondary btn-small"
            aria-label="Download the structured answers (.json)"
            onClick={json}
            disabled={jsonState === 'busy'}
          >
            {jsonState === 'busy' ? (
              'Preparing…'
            ) : jsonState === 'failed' ? (
              'Retry .json'
            ) : (
              <>
                <span className="hide-narrow">Download </span>.json
              </>
            )}
          </button>
        </div>
        <span className="visually-hidden" aria-live="polite">
          {copied === 'copied' ? 'Memo copied to the clipboard' : ''}
        </span>
      </div>
      <article className="memo" data-testid="memo">
        <Markdown source={markdown} />
      </article>
    </section>
  );
}
