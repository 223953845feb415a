-- migrate:phase contract
-- migrate:completes V{expand_version}
-- Run only after no running code uses the old name {table} (the code deployed after V{expand_version} uses {to}).
DROP VIEW IF EXISTS {table};
