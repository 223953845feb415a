-- migrate:phase contract
-- migrate:completes V{expand_version}
-- migrate:allow drop-column reason "{table}.{column} moved to {to}.{column} by V{expand_version}"
-- Run only after no running code uses {table}.{column}. Both triggers go ({to}'s writes {table}.{column}).
DROP TRIGGER IF EXISTS {trg_old} ON {table};
DROP TRIGGER IF EXISTS {trg_new} ON {to};
DROP FUNCTION IF EXISTS {fn_old}();
DROP FUNCTION IF EXISTS {fn_new}();
ALTER TABLE {table} DROP COLUMN IF EXISTS {column};
