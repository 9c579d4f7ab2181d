CREATE TABLE "analysis_steps" (
	"analysis_id" uuid NOT NULL,
	"step" text NOT NULL,
	"result" jsonb NOT NULL,
	"dropped_citations" integer DEFAULT 0 NOT NULL,
	"model" text NOT NULL,
	"prompt_tokens" integer NOT NULL,
	"completion_tokens" integer NOT NULL,
	"model_calls" integer NOT NULL,
	"duration_ms" integer NOT NULL,
	"attempt" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "analysis_steps_analysis_id_step_pk" PRIMARY KEY("analysis_id","step")
);
--> statement-breakpoint
ALTER TABLE "analyses" ADD COLUMN "model_calls" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "analyses" ADD COLUMN "stalls_seen" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "analyses" ADD COLUMN "stall_streak" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "analyses" ADD COLUMN "stall_streak_steps" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "analysis_steps" ADD CONSTRAINT "analysis_steps_analysis_id_analyses_analysis_id_fk" FOREIGN KEY ("analysis_id") REFERENCES "public"."analyses"("analysis_id") ON DELETE cascade ON UPDATE no action;