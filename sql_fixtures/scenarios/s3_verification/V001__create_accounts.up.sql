-- Scenario S3: accounts, and the runbook's verification function that every later migration's
-- verify file calls: it is false while a materialized view has no unique index (REFRESH ...
-- CONCURRENTLY would fail on it) or while accounts has no row-level security policy.
CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner text NOT NULL,
  balance numeric NOT NULL DEFAULT 0
);

CREATE FUNCTION verify_migration_success() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT NOT EXISTS (
    SELECT 1 FROM pg_matviews v
    WHERE v.schemaname = current_schema()
      AND NOT EXISTS (SELECT 1 FROM pg_index i
                      WHERE i.indrelid = format('%I.%I', v.schemaname, v.matviewname)::regclass
                        AND i.indisunique)
  )
$$;
