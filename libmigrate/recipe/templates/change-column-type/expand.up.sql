-- migrate:phase expand
-- migrate:backfill
-- migrate:backfill-check SELECT 1 FROM {table} WHERE {to} IS NULL AND {column} IS NOT NULL LIMIT 1
-- Change {table}.{column} ({from_type}) to {type} as the new column {to}. After this, deploy code that reads and
-- writes {table}.{to} only; run the contract once no running code uses {table}.{column}.
-- Conversions: {using} (old -> new) and {using_back} (new -> old) default to plain PL/pgSQL assignment
-- (assignment cast, else text I/O; errors rather than truncating). A value that does not convert fails its batch.
ALTER TABLE {table} ADD COLUMN {to} {type};  -- new type; old column keeps {from_type}
-- @if default
-- A default on either column would make an INSERT naming the other column diverge: the trigger applies it instead.
ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT;
-- @endif

CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
-- @if default
    IF NEW.{to} IS NULL AND NEW.{column} IS NULL THEN      -- the column default, moved into the trigger
      NEW.{column} := {default};  -- old column's default
    END IF;
-- @endif
    IF NEW.{to} IS NULL THEN
      NEW.{to} := {using};
    ELSIF NEW.{column} IS NULL THEN
      NEW.{column} := {using_back};
    END IF;
  ELSE
    IF NEW.{column}::text IS DISTINCT FROM OLD.{column}::text THEN      -- written through the old name
      NEW.{to} := {using};
    ELSIF NEW.{to}::text IS DISTINCT FROM OLD.{to}::text THEN           -- written through the new name
      NEW.{column} := {using_back};
    ELSIF NEW.{to} IS NULL THEN                              -- fill-in (backfill) for rows not yet copied
      NEW.{to} := {using};
    ELSIF NEW.{column} IS NULL THEN
      NEW.{column} := {using_back};
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER {trg} BEFORE INSERT OR UPDATE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {fn}();

-- batched by the tool (primary key range ANDed to the WHERE); the no-op write makes the trigger copy the value
UPDATE {table} SET {column} = {column} WHERE {to} IS NULL AND {column} IS NOT NULL;
