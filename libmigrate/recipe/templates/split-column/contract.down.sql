-- migrate:backfill
-- Re-adds {table}.{column} ({type}, nullable) with both triggers and copies {to} back in batches; old code can
-- run again once it has finished.
ALTER TABLE {table} ADD COLUMN {column} {type};

-- @include _sync_triggers

-- automatic batched form (the tool ANDs a {table}.{key} range)
UPDATE {table} AS t SET {column} = n.{column} FROM {to} AS n
  WHERE n.{fk_column} = t.{key} AND t.{column} IS NULL AND n.{column} IS NOT NULL;
