/** The slice of pino the worker's modules use; tests pass a silent or capturing one. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
