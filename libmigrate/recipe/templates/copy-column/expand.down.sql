-- migrate:allow rollback-data-loss reason "{table}.{to} is a copy of {table}.{column}, which the trigger kept in sync"
-- Reverts the expand: run only while no deployed code uses {table}.{to}.
DROP TRIGGER IF EXISTS {trg} ON {table};
DROP FUNCTION IF EXISTS {fn}();
ALTER TABLE {table} DROP COLUMN IF EXISTS {to};
-- @if default
ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default};
-- @endif
