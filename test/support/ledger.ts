import { checkLedgerInvariants, type Db } from '@revmemo/db';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';

/** The original deployment guide's double-charge query, unchanged. */
const DOUBLE_CHARGE_QUERY =
  "SELECT memo_uuid, COUNT(*) FROM credit_transactions WHERE reason = 'analysis_charge' GROUP BY memo_uuid HAVING COUNT(*) > 1;";

/** After every test: balance = sum of the ledger, held = sum of open holds, no double charge. */
export async function expectLedgerHealthy(db: Db) {
  expect(await checkLedgerInvariants(db)).toEqual([]);
  expect(await db.execute(sql.raw(DOUBLE_CHARGE_QUERY))).toHaveLength(0);
}

export async function userIdByEmail(db: Db, email: string): Promise<string> {
  const rows = await db.execute(sql`SELECT id FROM "user" WHERE email = ${email}`);
  if (!rows[0]) throw new Error(`no user ${email}`);
  return String(rows[0].id);
}

export async function chargesFor(db: Db, memoUuid: string) {
  return db.execute(
    sql`SELECT amount, balance_after FROM credit_transactions WHERE memo_uuid = ${memoUuid} AND reason = 'analysis_charge'`,
  );
}

export async function holdOf(db: Db, memoUuid: string) {
  const rows = await db.execute(sql`SELECT status, amount FROM credit_holds WHERE memo_uuid = ${memoUuid}`);
  return rows[0] as { status: string; amount: number } | undefined;
}
