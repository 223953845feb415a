-- migrate:phase expand
-- migrate:backfill
-- migrate:backfill-check SELECT 1 FROM products WHERE sku IS NULL AND legacy_sku IS NOT NULL LIMIT 1
-- Rename products.legacy_sku -> sku. After this, deploy code that reads and writes products.sku only;
-- run the contract once no running code uses products.legacy_sku. A trigger keeps both columns in sync meanwhile.
ALTER TABLE products ADD COLUMN sku text;

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

-- batched by the tool (primary key range ANDed to the WHERE); the no-op write makes the trigger copy the value
UPDATE products SET legacy_sku = legacy_sku WHERE sku IS NULL AND legacy_sku IS NOT NULL;
