-- setup: setup_accounts.sql
-- Binary-coercible changes of types an earlier migration declared: metadata only.
ALTER TABLE accounts ALTER COLUMN name TYPE varchar(100);
ALTER TABLE accounts ALTER COLUMN price TYPE numeric(14,2);
ALTER TABLE accounts ALTER COLUMN network TYPE inet;
ALTER TABLE accounts ALTER COLUMN name TYPE text;
ALTER TABLE accounts RENAME COLUMN name TO display_name;
ALTER TABLE accounts ALTER COLUMN display_name TYPE varchar;
