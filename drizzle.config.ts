import { defineConfig } from 'drizzle-kit';

// The one place besides packages/config that reads process.env: drizzle-kit runs this file itself,
// outside the workspace packages. Migrations are applied at runtime by @revmemo/db's migrate()
// (`pnpm db:migrate`), not by `drizzle-kit migrate`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema/index.ts',
  out: './drizzle',
  // Only commands that connect (studio, introspect) need it; `generate` and `check` do not.
  dbCredentials: { url: process.env.DATABASE_URL ?? '' },
  strict: true,
  verbose: true,
});
