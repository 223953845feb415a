-- migrate:class breaking
-- migrate:phase contract
-- migrate:completes V010
-- Contract step for V010: every supported release now reads and writes
-- display_name, so drop the old full_name column and its sync triggers.

-- The triggers mention full_name, which would make DROP COLUMN fail.
DROP TRIGGER users_display_name_on_update;
DROP TRIGGER users_display_name_on_insert;

-- full_name has no index, constraint or view depending on it, so a plain
-- DROP COLUMN (SQLite 3.35+) is enough; no table rebuild is needed.
ALTER TABLE users DROP COLUMN full_name;
