import { sql } from 'drizzle-orm';
import type { Db } from '../client';

/*
 * Each check is one query returning a `problem` text column per violation. Raw SQL on purpose: these
 * are the same statements an operator would paste into psql, and they read the tables directly.
 */
const CHECKS = [
  sql`select 'account ' || a.user_id || ': balance ' || a.balance || ' != ledger sum ' || coalesce(l.total, 0) as problem
      from credit_accounts a
      left join (select user_id, sum(amount) as total from credit_transactions group by user_id) l on l.user_id = a.user_id
      where a.balance <> coalesce(l.total, 0)`,
  sql`select 'ledger for user ' || l.user_id || ' sums to ' || sum(l.amount) || ' but there is no credit account' as problem
      from credit_transactions l
      where not exists (select 1 from credit_accounts a where a.user_id = l.user_id)
      group by l.user_id`,
  sql`select 'account ' || a.user_id || ': held ' || a.held || ' != open holds ' || coalesce(h.total, 0) as problem
      from credit_accounts a
      left join (select user_id, sum(amount) as total from credit_holds where status = 'open' group by user_id) h on h.user_id = a.user_id
      where a.held <> coalesce(h.total, 0)`,
  sql`select 'account ' || user_id || ': negative or over-held (balance ' || balance || ', held ' || held || ')' as problem
      from credit_accounts where balance < 0 or held < 0 or held > balance`,
  sql`select 'memo ' || memo_uuid || ' has ' || count(*) || ' analysis_charge rows' as problem
      from credit_transactions where reason = 'analysis_charge'
      group by memo_uuid having count(*) > 1`,
  sql`select 'ledger row ' || id || ': negative balance_after ' || balance_after as problem
      from credit_transactions where balance_after < 0`,
  sql`select 'analysis ' || an.analysis_id || ' completed but charged ' || coalesce(-l.amount, 0)
        || ' (final_charged_credits ' || coalesce(an.final_charged_credits::text, 'null') || ')' as problem
      from analyses an
      left join credit_transactions l on l.memo_uuid = an.memo_uuid and l.reason = 'analysis_charge'
      where an.status = 'completed'
        and (l.id is null or an.final_charged_credits is distinct from -l.amount)`,
  sql`select 'analysis ' || an.analysis_id || ' ' || an.status || ' but has an analysis_charge or a non-zero final charge' as problem
      from analyses an
      where an.status in ('failed', 'canceled')
        and (an.final_charged_credits is distinct from 0
             or exists (select 1 from credit_transactions l where l.memo_uuid = an.memo_uuid and l.reason = 'analysis_charge'))`,
  sql`select 'analysis ' || an.analysis_id || ' is ' || an.status || ' but its hold is ' || coalesce(h.status, 'missing') as problem
      from analyses an
      left join credit_holds h on h.memo_uuid = an.memo_uuid
      where (an.status in ('queued', 'running') and h.status is distinct from 'open')
         or (an.status = 'completed' and h.status is distinct from 'captured')
         or (an.status in ('failed', 'canceled') and h.status is distinct from 'released')`,
];

/**
 * Human-readable violations of the credit invariants; [] when healthy: balance = sum(ledger),
 * held = sum(open holds), nothing negative, at most one charge per memo, completed analyses charged
 * exactly their quote, failed/canceled ones nothing, and every hold in the state its analysis implies.
 */
export async function checkLedgerInvariants(db: Db): Promise<string[]> {
  const problems: string[] = [];
  for (const check of CHECKS) {
    const rows = await db.execute<{ problem: string }>(check);
    for (const row of rows) problems.push(row.problem);
  }
  return problems;
}
