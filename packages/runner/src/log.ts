import { redactError } from '@revmemo/db';

/** The slice of pino the runner's modules use; tests pass a silent or capturing one. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** `err` reduced by redactError: a database error's parameters (contract text, memos) are never logged. */
function redacted(obj: object): object {
  return 'err' in obj ? { ...obj, err: redactError((obj as { err: unknown }).err) } : obj;
}

/**
 * A logger whose every line carries `fields`: each line of a job says which analysis and which
 * BullMQ job it is about, so an operator can grep one analysis_id across retries and processes.
 * Plain wrapping rather than pino's child() so any Log (tests' silent one too) works. Errors are
 * redacted here too, so even a logger without the serializer (a test's) never sees query parameters.
 */
export function withFields(log: Log, fields: object): Log {
  return {
    info: (obj, msg) => log.info({ ...fields, ...redacted(obj) }, msg),
    warn: (obj, msg) => log.warn({ ...fields, ...redacted(obj) }, msg),
    error: (obj, msg) => log.error({ ...fields, ...redacted(obj) }, msg),
  };
}
