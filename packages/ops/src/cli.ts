/**
 * `pnpm ops <command>`: the manual checks operators relied on, as commands (docs/monitoring.md).
 * Exit codes: 0 all good, 1 something is wrong (a ✗ line), 2 usage error.
 */
import { parseArgs } from 'node:util';
import { grantByEmail, setAdmin } from './accounts';
import { runAudit } from './audit';
import { readSettings } from './connect';
import { runDoctor } from './doctor';
import { runFailedJobs } from './jobs';
import { errorText } from './output';

const USAGE = `usage: pnpm ops <command>
  doctor                                   env, Redis, PostgreSQL, migrations, workers, queue depths
  audit [--hold-hours N]                   recent analyses, double charges, ledger invariants, stuck holds, orphaned analyses
  jobs failed [--retry ID | --retry-all]   failed jobs with reasons; retrying never charges twice
  credits:grant --email E --amount N [--note TEXT]
  users:admin --email E [--revoke]         grant (or revoke) the admin role (Bull Board at /admin/queues)`;

function usage(problem?: string): number {
  if (problem) process.stderr.write(`${problem}\n`);
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      amount: { type: 'string' },
      note: { type: 'string' },
      retry: { type: 'string' },
      'retry-all': { type: 'boolean' },
      revoke: { type: 'boolean' },
      'hold-hours': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub] = positionals;
  if (values.help || !command) return usage();
  const settings = readSettings();
  switch (command) {
    case 'doctor':
      return (await runDoctor(settings)) > 0 ? 1 : 0;
    case 'audit': {
      const holdHours = Number(values['hold-hours'] ?? 6);
      if (!(holdHours > 0)) return usage('--hold-hours must be a positive number');
      return (await runAudit(settings, { holdHours })) > 0 ? 1 : 0;
    }
    case 'jobs':
      if (sub !== 'failed') return usage('jobs: only `jobs failed` exists');
      if (values.retry && values['retry-all']) return usage('use --retry ID or --retry-all, not both');
      return (await runFailedJobs(settings, { retry: values.retry, retryAll: values['retry-all'] })) > 0
        ? 1
        : 0;
    case 'credits:grant': {
      const amount = Number(values.amount);
      if (!values.email || !Number.isInteger(amount) || amount === 0)
        return usage('credits:grant needs --email and a non-zero whole --amount');
      return (await grantByEmail(settings, { email: values.email, amount, note: values.note })) > 0 ? 1 : 0;
    }
    case 'users:admin':
      if (!values.email) return usage('users:admin needs --email');
      return (await setAdmin(settings, { email: values.email, revoke: values.revoke })) > 0 ? 1 : 0;
    default:
      return usage(`unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ops: ${errorText(err)}\n`);
    process.exit(1);
  },
);
