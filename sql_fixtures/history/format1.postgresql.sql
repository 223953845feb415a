CREATE SCHEMA IF NOT EXISTS "public";
CREATE TABLE "public"."migrate_history" (
  id bigserial PRIMARY KEY,
  history_format integer NOT NULL,
  run_id text NOT NULL,
  version text NOT NULL,
  name text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('up', 'down', 'init')),
  checksum text NOT NULL,
  down_checksum text,
  transactional boolean NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  success boolean,
  error_message text NOT NULL DEFAULT '',
  error_code text NOT NULL DEFAULT '',
  statement_index integer NOT NULL DEFAULT 0,
  execution_ms bigint NOT NULL DEFAULT 0,
  installed_by text NOT NULL,
  client text NOT NULL,
  tool_version text NOT NULL,
  error_statement integer NOT NULL DEFAULT 0,
  progress_checksum text
);
INSERT INTO "public"."migrate_history" (history_format, run_id, version, name, direction, checksum,
  transactional, started_at, finished_at, success, installed_by, client, tool_version)
VALUES (1, '', '', '', 'init', '', true, now(), now(), true, current_user, '', '0.1.0');
