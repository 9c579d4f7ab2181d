ALTER TABLE "credit_transactions" ADD COLUMN "grant_key" text;--> statement-breakpoint
-- Accounts made before verification existed got their welcome credits at sign-up: mark that entry
-- (the first one per user) so verifying the email later does not grant them a second time.
UPDATE "credit_transactions" SET "grant_key" = 'welcome' WHERE "id" IN (
  SELECT min("id") FROM "credit_transactions"
  WHERE "reason" = 'adjustment' AND "description" = 'Welcome credits'
  GROUP BY "user_id"
);--> statement-breakpoint
ALTER TABLE "credit_transactions" ADD CONSTRAINT "credit_transactions_user_grant_key_unique" UNIQUE("user_id","grant_key");
