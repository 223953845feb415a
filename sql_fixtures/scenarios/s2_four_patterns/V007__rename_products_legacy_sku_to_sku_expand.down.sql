-- migrate:allow rollback-data-loss reason "products.sku is a copy of products.legacy_sku, which the trigger kept in sync"
-- Reverts the expand: run only while no deployed code uses products.sku.
DROP TRIGGER IF EXISTS products_legacy_sku_sku_sync ON products;
DROP FUNCTION IF EXISTS products_legacy_sku_sku_sync();
ALTER TABLE products DROP COLUMN IF EXISTS sku;
