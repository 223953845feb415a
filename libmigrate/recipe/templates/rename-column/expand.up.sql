-- migrate:phase expand
-- migrate:backfill
-- migrate:backfill-check SELECT 1 FROM {table} WHERE {to} IS NULL AND {column} IS NOT NULL LIMIT 1
-- Rename {table}.{column} -> {to}. After this, deploy code that reads and writes {table}.{to} only;
-- run the contract once no running code uses {table}.{column}. A trigger keeps both columns in sync meanwhile.
ALTER TABLE {table} ADD COLUMN {to} {type};
-- @if default
-- A default on either column would make an INSERT naming the other column diverge: the trigger applies it instead.
ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT;
-- @endif

CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
-- @if default
    IF NEW.{to} IS NULL AND NEW.{column} IS NULL THEN      -- the column default, moved into the trigger
      NEW.{column} := {default};
    END IF;
-- @endif
    IF NEW.{to} IS NULL THEN
      NEW.{to} := NEW.{column};
    ELSIF NEW.{column} IS NULL THEN
      NEW.{column} := NEW.{to};
    END IF;
  ELSE
    IF NEW.{column}::text IS DISTINCT FROM OLD.{column}::text THEN      -- written through the old name
      NEW.{to} := NEW.{column};
    ELSIF NEW.{to}::text IS DISTINCT FROM OLD.{to}::text THEN           -- written through the new name
      NEW.{column} := NEW.{to};
    ELSIF NEW.{to} IS NULL THEN                              -- fill-in (backfill) for rows not yet copied
      NEW.{to} := NEW.{column};
    ELSIF NEW.{column} IS NULL THEN
      NEW.{column} := NEW.{to};
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER {trg} BEFORE INSERT OR UPDATE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {fn}();

-- batched by the tool (primary key range ANDed to the WHERE); the no-op write makes the trigger copy the value
UPDATE {table} SET {column} = {column} WHERE {to} IS NULL AND {column} IS NOT NULL;
