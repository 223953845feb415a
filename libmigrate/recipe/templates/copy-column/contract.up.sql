-- migrate:phase contract
-- migrate:completes V{expand_version}
-- @if not_null
-- migrate:transaction off
-- @endif
-- @if rename
-- migrate:allow drop-column reason "{table}.{column} was renamed to {to} by V{expand_version}; no deployed code uses it"
-- @else
-- migrate:allow drop-column reason "{table}.{column} was replaced by {to} ({type}) by V{expand_version}; no deployed code uses it"
-- @endif
-- Run only after every running version reads and writes {table}.{to} (the code deployed after V{expand_version}).
-- @if not_null
-- {column} was NOT NULL: carry it over to {to} without a scan under ACCESS EXCLUSIVE (validated CHECK first).
ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({to} IS NOT NULL) NOT VALID;
ALTER TABLE {table} VALIDATE CONSTRAINT {check};
ALTER TABLE {table} ALTER COLUMN {to} SET NOT NULL;
ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check};
-- @endif
-- @if default
ALTER TABLE {table} ALTER COLUMN {to} SET DEFAULT {default};
-- @endif
DROP TRIGGER IF EXISTS {trg} ON {table};
DROP FUNCTION IF EXISTS {fn}();
ALTER TABLE {table} DROP COLUMN IF EXISTS {column};
