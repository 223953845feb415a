-- migrate:backfill
-- Re-adds products.legacy_sku (as text, nullable: a NOT NULL or DEFAULT it had is not restored) and the sync trigger,
-- then copies sku back into it in batches. Old code can run again once this has finished.
ALTER TABLE products ADD COLUMN legacy_sku text;

-- The trigger that keeps legacy_sku and sku in sync while old and new code both run: each write
-- through one column is copied to the other (NEW.legacy_sku / NEW.sku).
CREATE FUNCTION products_legacy_sku_sku_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.sku IS NULL THEN
      NEW.sku := NEW.legacy_sku;
    ELSIF NEW.legacy_sku IS NULL THEN
      NEW.legacy_sku := NEW.sku;
    END IF;
  ELSE
    IF NEW.legacy_sku::text IS DISTINCT FROM OLD.legacy_sku::text THEN      -- written through the old name
      NEW.sku := NEW.legacy_sku;
    ELSIF NEW.sku::text IS DISTINCT FROM OLD.sku::text THEN           -- written through the new name
      NEW.legacy_sku := NEW.sku;
    ELSIF NEW.sku IS NULL THEN                              -- fill-in (backfill) for rows not yet copied
      NEW.sku := NEW.legacy_sku;
    ELSIF NEW.legacy_sku IS NULL THEN
      NEW.legacy_sku := NEW.sku;
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER products_legacy_sku_sku_sync BEFORE INSERT OR UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION products_legacy_sku_sku_sync();

UPDATE products SET sku = sku WHERE legacy_sku IS NULL AND sku IS NOT NULL;
