-- The trigger that keeps {column} and {to} in sync while old and new code both run: each write
-- through one column is copied to the other ({using} / {using_back}).
CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $migrate$
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
$migrate$;

CREATE TRIGGER {trg} BEFORE INSERT OR UPDATE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {fn}();
