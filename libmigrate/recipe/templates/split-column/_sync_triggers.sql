-- The triggers that keep {table}.{column} and {to}.{column} in sync while old and new code both
-- run; the IS DISTINCT FROM guards end the ping-pong between them.
CREATE FUNCTION {fn_old}() RETURNS trigger LANGUAGE plpgsql AS $migrate$
BEGIN  -- {table}.{column} written by old code -> {to}
  IF TG_OP = 'UPDATE' AND NEW.{column} IS NOT DISTINCT FROM OLD.{column} THEN
    RETURN NULL;
  END IF;
  IF NEW.{column} IS NULL THEN  -- never create a row for NULL (new code inserts its own row after the parent)
    UPDATE {to} SET {column} = NULL WHERE {fk_column} = NEW.{key} AND {column} IS NOT NULL;
  ELSE
    INSERT INTO {to} AS n ({fk_column}, {column}) VALUES (NEW.{key}, NEW.{column})
      ON CONFLICT ({fk_column}) DO UPDATE SET {column} = EXCLUDED.{column}
      WHERE n.{column} IS DISTINCT FROM EXCLUDED.{column};
  END IF;
  RETURN NULL;
END
$migrate$;

CREATE FUNCTION {fn_new}() RETURNS trigger LANGUAGE plpgsql AS $migrate$
BEGIN  -- {to} written by new code -> {table}.{column}; the IS DISTINCT FROM guards end the ping-pong
  IF TG_OP IN ('DELETE', 'UPDATE') AND (TG_OP = 'DELETE' OR NEW.{fk_column} IS DISTINCT FROM OLD.{fk_column}) THEN
    UPDATE {table} SET {column} = NULL WHERE {key} = OLD.{fk_column} AND {column} IS NOT NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE {table} SET {column} = NEW.{column} WHERE {key} = NEW.{fk_column} AND {column} IS DISTINCT FROM NEW.{column};
  END IF;
  RETURN NULL;
END
$migrate$;

CREATE TRIGGER {trg_old} AFTER INSERT OR UPDATE OF {column} ON {table}
  FOR EACH ROW EXECUTE FUNCTION {fn_old}();
CREATE TRIGGER {trg_new} AFTER INSERT OR UPDATE OR DELETE ON {to}
  FOR EACH ROW EXECUTE FUNCTION {fn_new}();
