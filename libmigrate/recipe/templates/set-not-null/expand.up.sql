-- migrate:phase expand
-- @if default
-- migrate:backfill
-- migrate:backfill-check SELECT 1 FROM {table} WHERE {column} IS NULL LIMIT 1
-- Make {table}.{column} NOT NULL. After this, deploy code that always writes {table}.{column} (or omits it and
-- gets the default); then run the contract, which enforces NOT NULL. NULLs are not rejected before the contract.
-- (An explicit-NULL write from old code after the backfill is filled again by the contract.)
ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default};
-- batched by the tool (primary key range ANDed to the WHERE)
UPDATE {table} SET {column} = {default} WHERE {column} IS NULL;
-- @else
-- migrate:allow empty-migration reason "deploy point: code that never writes NULL into {table}.{column} is deployed after this; the contract enforces NOT NULL"
-- Make {table}.{column} NOT NULL. After this, deploy code that never writes NULL into {table}.{column} and fix the
-- existing NULLs (the contract refuses to start while any is left); then run the contract.
-- @endif
