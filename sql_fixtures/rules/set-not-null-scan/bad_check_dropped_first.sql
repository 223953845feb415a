-- setup: setup_check_not_valid.sql
-- setup: setup_check_validate.sql
-- PostgreSQL runs the DROP before the SET NOT NULL: the CHECK is gone when it would help.
ALTER TABLE users
  DROP CONSTRAINT users_email_not_null,
  ALTER COLUMN email SET NOT NULL;
