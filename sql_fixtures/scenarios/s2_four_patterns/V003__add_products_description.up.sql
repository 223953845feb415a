-- migrate:class additive
-- migrate:transaction off
-- Pattern 1, additive: a nullable column and an index built without blocking writes.
ALTER TABLE products ADD COLUMN IF NOT EXISTS description text;
CREATE INDEX CONCURRENTLY IF NOT EXISTS products_name_trgm_idx ON products USING gin (name gin_trgm_ops);
