-- migrate:allow drop-not-null reason "rollback to the expand state, where {table}.{column} accepted NULL"
-- Old code that may write NULL into {table}.{column} can run again after this.
ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check};
ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL;
