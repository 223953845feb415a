-- Re-adds {table}.{column} as in the expand's state; its former values are not restored.
-- @if default
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {type} NOT NULL DEFAULT {default};
-- @else
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {type};
-- @endif
