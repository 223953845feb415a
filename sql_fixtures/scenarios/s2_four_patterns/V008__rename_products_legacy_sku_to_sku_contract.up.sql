-- migrate:phase contract
-- migrate:completes V007
-- migrate:allow drop-column reason "products.legacy_sku was renamed to sku by V007; no deployed code uses it"
-- Run only after every running version reads and writes products.sku (the code deployed after V007).
DROP TRIGGER IF EXISTS products_legacy_sku_sku_sync ON products;
DROP FUNCTION IF EXISTS products_legacy_sku_sku_sync();
ALTER TABLE products DROP COLUMN IF EXISTS legacy_sku;
