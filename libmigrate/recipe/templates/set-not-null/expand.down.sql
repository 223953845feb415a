-- @if default
-- Removes the default; the values the backfill wrote stay (they cannot be told apart from real ones).
ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT;
-- @else
-- migrate:allow empty-migration reason "the expand of the set-not-null recipe changes nothing"
-- @endif
