-- setup: setup_check_not_valid.sql
-- setup: setup_check_validate.sql
-- PostgreSQL 12+ finds the validated CHECK (email IS NOT NULL) and skips the scan (before 12 it
-- scans anyway, and the rule reports it; these fixtures run as PostgreSQL 15).
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_not_null;
