/** One line per check, the way an operator's checklist reads: ✓ fine, ! worth a look, ✗ broken. */
export interface Report {
  ok(label: string, detail?: string): void;
  warn(label: string, detail: string): void;
  fail(label: string, detail: string, fix: string): void;
  info(text: string): void;
  readonly failures: number;
}

export function createReport(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Report {
  let failures = 0;
  return {
    ok: (label, detail) => write(`✓ ${label}${detail ? `: ${detail}` : ''}`),
    warn: (label, detail) => write(`! ${label}: ${detail}`),
    fail(label, detail, fix) {
      failures += 1;
      write(`✗ ${label}: ${detail} -> fix: ${fix}`);
    },
    info: (text) => write(text),
    get failures() {
      return failures;
    },
  };
}

export function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return errorText(err.errors[0]);
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}
