-- migrate:transaction off
DROP INDEX CONCURRENTLY IF EXISTS products_name_trgm_idx;
ALTER TABLE products DROP COLUMN IF EXISTS description;
