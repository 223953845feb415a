-- setup: setup_check_not_valid.sql
-- The CHECK was added NOT VALID and never validated: it proves nothing, so SET NOT NULL scans.
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
