import { getBalance, getUserByEmail, grantCredits, setUserRole } from '@revmemo/db';
import { connectPostgres, type OpsSettings } from './connect';
import { createReport, type Report } from './output';

/** Grants (or, negative, takes back) credits as one `adjustment` ledger entry, so the ledger still sums. */
export async function grantByEmail(
  settings: OpsSettings,
  input: { email: string; amount: number; note?: string },
  report: Report = createReport(),
): Promise<number> {
  if (!settings.databaseUrl) {
    report.fail('PostgreSQL', 'DATABASE_URL is unset or malformed', 'run `pnpm ops doctor`');
    return report.failures;
  }
  const pg = connectPostgres(settings.databaseUrl);
  try {
    const user = await getUserByEmail(pg.db, input.email);
    if (!user) {
      report.fail('credits:grant', `no user with email ${input.email}`, 'check the address (sign-up first)');
      return report.failures;
    }
    const entry = await grantCredits(pg.db, {
      userId: user.id,
      amount: input.amount,
      reason: 'adjustment',
      description: input.note ?? 'Granted by an operator',
    });
    const balance = await getBalance(pg.db, user.id);
    report.ok(
      'credits:grant',
      `${input.amount > 0 ? '+' : ''}${input.amount} to ${user.email} (ledger entry ${entry.id}); balance ${balance.balance}, available ${balance.available}`,
    );
  } finally {
    await pg.close().catch(() => undefined);
  }
  return report.failures;
}

export async function setAdmin(
  settings: OpsSettings,
  input: { email: string; revoke?: boolean },
  report: Report = createReport(),
): Promise<number> {
  if (!settings.databaseUrl) {
    report.fail('PostgreSQL', 'DATABASE_URL is unset or malformed', 'run `pnpm ops doctor`');
    return report.failures;
  }
  const pg = connectPostgres(settings.databaseUrl);
  try {
    const role = input.revoke ? 'user' : 'admin';
    if (await setUserRole(pg.db, input.email, role))
      report.ok('users:admin', `${input.email} is now ${role}`);
    else report.fail('users:admin', `no user with email ${input.email}`, 'check the address (sign-up first)');
  } finally {
    await pg.close().catch(() => undefined);
  }
  return report.failures;
}
