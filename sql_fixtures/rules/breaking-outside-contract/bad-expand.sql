-- migrate:phase expand
-- An expand runs before the deploy: renaming here breaks the code still running.
ALTER TABLE users RENAME COLUMN name TO full_name;
