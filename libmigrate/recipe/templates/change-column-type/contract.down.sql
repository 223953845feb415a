-- migrate:backfill
-- @if not_null
-- migrate:allow drop-not-null reason "old code, which does not write {to}, runs again after this rollback"
-- @endif
-- Re-adds {table}.{column} (as {from_type}, nullable: a NOT NULL or DEFAULT it had is not restored) and the sync trigger,
-- then copies {to} back into it in batches. Old code can run again once this has finished.
ALTER TABLE {table} ADD COLUMN {column} {from_type};
-- @if not_null
ALTER TABLE {table} ALTER COLUMN {to} DROP NOT NULL;
-- @endif
-- @if default
ALTER TABLE {table} ALTER COLUMN {to} DROP DEFAULT;
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

UPDATE {table} SET {to} = {to} WHERE {column} IS NULL AND {to} IS NOT NULL;
