/** The slice of pino the runner's modules use; tests pass a silent or capturing one. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * A logger whose every line carries `fields`: each line of a job says which analysis and which
 * BullMQ job it is about, so an operator can grep one analysis_id across retries and processes.
 * Plain wrapping rather than pino's child() so any Log (tests' silent one too) works.
 */
export function withFields(log: Log, fields: object): Log {
  return {
    info: (obj, msg) => log.info({ ...fields, ...obj }, msg),
    warn: (obj, msg) => log.warn({ ...fields, ...obj }, msg),
    error: (obj, msg) => log.error({ ...fields, ...obj }, msg),
  };
}
