-- migrate:phase expand
-- migrate:transaction off
-- Unique {table}({column}). The index enforces uniqueness from the moment its build finishes (inserts of a
-- duplicate fail from then on), so deploy code that tolerates the unique violation, then run the contract, which
-- only turns the index into a named constraint. Fails (and must be re-run) if duplicates exist.
-- Guard: a failed earlier build leaves an INVALID index that IF NOT EXISTS would silently accept.
-- (the message names the row's index, so the planner cannot fold the CAST into an error when no row matches)
SELECT CAST('index ' || indexrelid::regclass::text || ' exists but is INVALID (an earlier build failed): DROP INDEX CONCURRENTLY it, then re-run' AS integer)
  FROM pg_index WHERE indexrelid = to_regclass('{index_literal}') AND NOT indisvalid;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} ({column});
