import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Secrets the deployment did not provide, generated once and shared by every process through the
 * database (today: the session-signing secret when AUTH_SECRET is unset).
 */
export const appSecrets = pgTable('app_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
