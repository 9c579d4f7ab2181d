import { loadConfig } from '@revmemo/config';
import { migrate } from '../migrate';

// `pnpm db:migrate`: applies drizzle/ to DATABASE_URL and prints one line.
const config = loadConfig();
const target = new URL(config.databaseUrl);
try {
  await migrate(config.databaseUrl);
  process.stdout.write(`migrations applied to ${target.host}${target.pathname}\n`);
} catch (err) {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
