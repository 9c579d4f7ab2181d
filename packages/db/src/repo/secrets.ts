import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../client';
import { appSecrets } from '../schema/index';

/**
 * The stored secret `name`, created on first use. Insert-if-absent then read: when several servers
 * start at once, each proposes its own random value, one insert wins, and all read the winner.
 */
export async function ensureSecret(db: Db, name: string): Promise<string> {
  await db
    .insert(appSecrets)
    .values({ name, value: randomBytes(32).toString('hex') })
    .onConflictDoNothing({ target: appSecrets.name });
  const [row] = await db
    .select({ value: appSecrets.value })
    .from(appSecrets)
    .where(eq(appSecrets.name, name));
  if (!row) throw new Error(`secret ${name} vanished right after it was stored`);
  return row.value;
}
