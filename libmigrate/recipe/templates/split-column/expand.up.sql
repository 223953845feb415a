-- migrate:phase expand
-- migrate:backfill key={key_table}.{key}
-- Move {table}.{column} into the new table {to} ({fk_column} -> {table}.{key}). After this, deploy code that reads
-- and writes {to}.{column} (a missing row means NULL) and not {table}.{column}; run the contract once no running
-- code uses {table}.{column}. Triggers on both tables keep them in sync meanwhile.
CREATE TABLE {to} (
  {fk_column} {key_type} PRIMARY KEY REFERENCES {table} ({key}) ON DELETE CASCADE,
  {column} {type}
);

-- @include _sync_triggers

-- explicit batched form: the tool walks {table}.{key}; psql: substitute the full key range
INSERT INTO {to} ({fk_column}, {column})
  SELECT {key}, {column} FROM {table}
  WHERE {key} > :batch_start AND {key} <= :batch_end AND {column} IS NOT NULL
  ON CONFLICT ({fk_column}) DO NOTHING;
