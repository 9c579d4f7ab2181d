import { eq } from 'drizzle-orm';
import type { Db } from '../client';
import { user } from '../schema/index';

export type UserRow = typeof user.$inferSelect;

export async function getUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(user).where(eq(user.id, id));
  return row;
}

export async function getUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(user).where(eq(user.email, email.toLowerCase()));
  return row;
}

/** Returns false when no user has that email. */
export async function setUserRole(db: Db, email: string, role: 'user' | 'admin'): Promise<boolean> {
  const rows = await db
    .update(user)
    .set({ role })
    .where(eq(user.email, email.toLowerCase()))
    .returning({ id: user.id });
  return rows.length > 0;
}
