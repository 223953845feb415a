-- migrate:phase contract
-- migrate:completes V{expand_version}
-- migrate:allow drop-column reason "no code deployed since V{expand_version} reads or writes {table}.{column}"
-- Run only after no running code uses {table}.{column}. The data is gone afterwards (its down re-adds the column empty).
ALTER TABLE {table} DROP COLUMN IF EXISTS {column};
