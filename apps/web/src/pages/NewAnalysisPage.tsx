import type { AppErrorData, Limits, Quote } from '@revmemo/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type DragEvent, useId, useRef, useState } from 'react';
import { describeError, type UserError, userErrorFrom } from '../lib/errors';
import { bytes, credits, newIdempotencyKey, nf } from '../lib/format';
import { Link, navigate } from '../lib/router';
import { queryClient, trpc } from '../lib/trpc';

const ACCEPT =
  '.pdf,.docx,.txt,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/plain';

interface PickedFile {
  key: string;
  file: File;
}

/** A quote plus the idempotency key of this confirm form: made once, when the quote arrives. */
interface QuoteState extends Quote {
  idempotencyKey: string;
}

const extension = (name: string) => name.toLowerCase().split('.').pop() ?? '';

export function NewAnalysisPage() {
  const id = useId();
  // Every limit comes from the server (system.limits), the same values it enforces.
  const limitsQuery = useQuery(trpc.system.limits.queryOptions(undefined, { staleTime: 60_000 }));
  const balance = useQuery(trpc.credits.balance.queryOptions());
  const limits = limitsQuery.data;

  const [files, setFiles] = useState<PickedFile[]>([]);
  const [context, setContext] = useState('');
  const [rejected, setRejected] = useState<string[]>([]);
  const [dragging, setDragging] = useState(false);
  const [quote, setQuote] = useState<QuoteState | null>(null);
  const [quoteError, setQuoteError] = useState<UserError | null>(null);
  const [quoting, setQuoting] = useState(false);
  const [submitError, setSubmitError] = useState<UserError | null>(null);
  const submitLock = useRef(false);
  const inputRef = useRef<HTMLInputElement>(null);

  const submit = useMutation(trpc.analysis.submit.mutationOptions());

  function resetQuote() {
    setQuote(null);
    setQuoteError(null);
    setSubmitError(null);
  }

  async function addFiles(list: FileList | File[]) {
    const picked = Array.from(list);
    const problems: string[] = [];
    const accepted: PickedFile[] = [];
    // Files picked before the limits arrived wait for them: the page never guesses a limit.
    let announced: Limits;
    try {
      announced = limitsQuery.data ?? (await queryClient.fetchQuery(trpc.system.limits.queryOptions()));
    } catch (err) {
      setRejected([`The upload limits could not be loaded: ${userErrorFrom(err).message}`]);
      return;
    }
    for (const file of picked) {
      if (!announced.acceptedExtensions.includes(extension(file.name)))
        problems.push(`${file.name} is not a PDF, DOCX or TXT file.`);
      else if (file.size > announced.maxUploadBytes)
        problems.push(
          `${file.name} is ${bytes(file.size)}; the limit is ${bytes(announced.maxUploadBytes)} per file.`,
        );
      else if (file.size === 0) problems.push(`${file.name} is empty.`);
      else accepted.push({ key: `${file.name}-${file.size}-${file.lastModified}-${Math.random()}`, file });
    }
    const room = announced.maxFiles - files.length;
    if (accepted.length > room)
      problems.push(
        `At most ${announced.maxFiles} files per analysis; ${accepted.length - Math.max(room, 0)} ${accepted.length - Math.max(room, 0) === 1 ? 'was' : 'were'} not added.`,
      );
    setRejected(problems);
    if (accepted.length > 0) {
      setFiles((f) => [...f, ...accepted.slice(0, Math.max(room, 0))]);
      resetQuote();
    }
  }

  function removeFile(key: string) {
    setFiles((f) => f.filter((x) => x.key !== key));
    setRejected([]);
    resetQuote();
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer.files.length > 0) void addFiles(e.dataTransfer.files);
  }

  async function getQuote() {
    if (files.length === 0 || quoting) return;
    setQuoting(true);
    resetQuote();
    try {
      const form = new FormData();
      if (context.trim()) form.append('additionalContext', context.trim());
      for (const f of files) form.append('file', f.file, f.file.name);
      const res = await fetch('/api/quotes', { method: 'POST', body: form, credentials: 'same-origin' });
      const body = (await res.json().catch(() => null)) as
        | (Quote & { error?: undefined })
        | { error: { code: string; message: string; appError?: AppErrorData | null } }
        | null;
      if (res.status === 401) {
        navigate('/sign-in?next=/', { replace: true });
        return;
      }
      if (!res.ok || !body || body.error) {
        const err = body?.error;
        const fallback =
          res.status === 413
            ? describeError({ code: 'FILE_TOO_LARGE', maxBytes: limits?.maxUploadBytes ?? 0 }, undefined)
            : describeError(null, `The server could not price the document (HTTP ${res.status}).`);
        setQuoteError(err ? describeError(err.appError ?? null, err.message) : fallback);
        return;
      }
      setQuote({ ...body, idempotencyKey: newIdempotencyKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.credits.balance.queryKey() });
    } catch (err) {
      setQuoteError(userErrorFrom(err));
    } finally {
      setQuoting(false);
    }
  }

  async function confirm() {
    // The ref closes the gap before React re-renders the disabled button; the key covers retries.
    if (!quote || submitLock.current) return;
    submitLock.current = true;
    setSubmitError(null);
    try {
      const result = await submit.mutateAsync({
        quoteId: quote.quoteId,
        idempotencyKey: quote.idempotencyKey,
      });
      void queryClient.invalidateQueries({ queryKey: trpc.credits.pathKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.analysis.list.pathKey() });
      navigate(`/analyses/${result.analysisId}`);
    } catch (err) {
      submitLock.current = false;
      setSubmitError(userErrorFrom(err));
    }
  }

  const available = balance.data?.available;
  const after = quote && available != null ? available - quote.credits : null;
  const short = after != null && after < 0;
  const submitting = submit.isPending || (submit.isSuccess && !submitError);
  const totalSize = files.reduce((n, f) => n + f.file.size, 0);

  return (
    <div className="page page-narrow">
      <header className="page-header">
        <h1>New analysis</h1>
        <p className="lede">
          Upload a customer contract (with its amendments or order forms if you have them). You get a price
          first; nothing is charged until the memo is delivered.
        </p>
      </header>

      <section className="card" aria-labelledby={`${id}-docs`}>
        <h2 id={`${id}-docs`} className="card-title">
          1. Documents
        </h2>
        <input
          ref={inputRef}
          id={`${id}-file`}
          className="visually-hidden file-input"
          type="file"
          multiple
          accept={ACCEPT}
          aria-describedby={`${id}-file-hint`}
          onChange={(e) => {
            if (e.target.files) void addFiles(e.target.files);
            e.target.value = '';
          }}
        />
        <label
          htmlFor={`${id}-file`}
          className={`dropzone${dragging ? ' dropzone-active' : ''}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <span className="dropzone-icon" aria-hidden="true">
            <svg
              aria-hidden="true"
              viewBox="0 0 24 24"
              width="28"
              height="28"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.8"
              strokeLinecap="round"
              strokeLinejoin="round"
            >
              <path d="M12 16V4M7 9l5-5 5 5" />
              <path d="M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" />
            </svg>
          </span>
          <span className="dropzone-text">
            <strong>Drop files here</strong> or <span className="link-like">choose files</span>
          </span>
          <span className="hint" id={`${id}-file-hint`}>
            {limits
              ? `PDF, DOCX or TXT · up to ${bytes(limits.maxUploadBytes)} each · up to ${limits.maxFiles} files`
              : 'Loading the upload limits…'}
          </span>
        </label>

        {rejected.length > 0 && (
          <div className="alert alert-error" role="alert" data-testid="file-error">
            <strong>Some files were not added</strong>
            <ul>
              {rejected.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </div>
        )}

        {files.length > 0 && (
          <ul className="file-list" aria-label="Selected files">
            {files.map((f) => (
              <li key={f.key} className="file-item">
                <span className="file-badge" aria-hidden="true">
                  {extension(f.file.name).toUpperCase()}
                </span>
                <span className="file-name" title={f.file.name}>
                  {f.file.name}
                </span>
                <span className="file-size">{bytes(f.file.size)}</span>
                <button
                  type="button"
                  className="btn btn-ghost btn-small"
                  onClick={() => removeFile(f.key)}
                  aria-label={`Remove ${f.file.name}`}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}

        <div className="field">
          <label htmlFor={`${id}-context`}>
            Additional context <span className="optional">(optional)</span>
          </label>
          <textarea
            id={`${id}-context`}
            rows={3}
            maxLength={limits?.maxContextChars}
            value={context}
            placeholder="E.g. the customer's history of paying late, side letters, how the implementation is usually delivered…"
            onChange={(e) => {
              setContext(e.target.value);
              if (quote) resetQuote();
            }}
          />
        </div>

        <div className="actions">
          <button
            type="button"
            className="btn btn-primary"
            onClick={getQuote}
            disabled={files.length === 0 || quoting}
            aria-describedby={`${id}-quote-hint`}
          >
            {quoting ? 'Reading the documents…' : 'Get quote'}
          </button>
          <span className="hint" id={`${id}-quote-hint`}>
            {files.length === 0
              ? 'Add at least one file.'
              : `${files.length} file${files.length === 1 ? '' : 's'}, ${bytes(totalSize)}`}
          </span>
        </div>

        {quoteError && (
          <div
            className="alert alert-error"
            role="alert"
            data-testid="quote-error"
            data-code={quoteError.appError?.code ?? ''}
          >
            <strong>{quoteError.title}</strong>
            <p>{quoteError.message}</p>
            <p className="alert-note">Nothing was charged.</p>
          </div>
        )}
      </section>

      {quote && (
        <section className="card quote" aria-labelledby={`${id}-quote`} data-testid="quote">
          <h2 id={`${id}-quote`} className="card-title">
            2. Confirm
          </h2>
          <dl className="quote-grid">
            <div>
              <dt>Words</dt>
              <dd data-testid="quote-words">{nf.format(quote.wordCount)}</dd>
            </div>
            <div>
              <dt>Price</dt>
              <dd data-testid="quote-credits">{credits(quote.credits)}</dd>
            </div>
            <div>
              <dt>Available now</dt>
              <dd>{available == null ? '…' : credits(available)}</dd>
            </div>
            <div>
              <dt>Balance after</dt>
              <dd className={short ? 'negative' : undefined} data-testid="quote-after">
                {after == null ? '…' : credits(after)}
              </dd>
            </div>
          </dl>
          <p className="hint">
            {quote.fileNames.join(', ')} · price held until the memo is delivered, released if the analysis
            fails.
          </p>
          {quote.warnings && quote.warnings.length > 0 && (
            // Not errors: the quote stands, but the user should know what was not read before paying.
            <div className="alert alert-warn" role="status" data-testid="quote-warnings">
              <strong>Check before you confirm</strong>
              {quote.warnings.map((w) => (
                <p key={w}>{w}</p>
              ))}
            </div>
          )}
          {short && (
            <div className="alert alert-warn" role="alert">
              <strong>Not enough credits</strong>
              <p>
                You need {credits(-(after ?? 0))} more. <Link to="/credits">Buy credits</Link>, then confirm.
              </p>
            </div>
          )}
          {submitError && (
            <div className="alert alert-error" role="alert" data-testid="submit-error">
              <strong>{submitError.title}</strong>
              <p>{submitError.message}</p>
              {submitError.appError?.code === 'QUOTE_EXPIRED' && (
                <button type="button" className="btn btn-secondary btn-small" onClick={getQuote}>
                  Get a new quote
                </button>
              )}
            </div>
          )}
          <div className="actions">
            <button
              type="button"
              className="btn btn-primary btn-large"
              data-testid="confirm"
              onClick={confirm}
              disabled={submitting || short}
            >
              {submitting ? 'Starting…' : `Confirm & analyze · ${credits(quote.credits)}`}
            </button>
          </div>
        </section>
      )}
    </div>
  );
}
