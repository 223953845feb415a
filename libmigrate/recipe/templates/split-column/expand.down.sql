-- migrate:allow drop-table reason "{to} is a copy of {table}.{column}, kept in sync by the triggers"
-- migrate:allow rollback-data-loss reason "{to} is a copy of {table}.{column}, kept in sync by the triggers"
-- Reverts the expand; run only while no deployed code uses {to}.
DROP TRIGGER IF EXISTS {trg_old} ON {table};
DROP TRIGGER IF EXISTS {trg_new} ON {to};
DROP FUNCTION IF EXISTS {fn_old}();
DROP FUNCTION IF EXISTS {fn_new}();
DROP TABLE IF EXISTS {to};
