-- setup: setup_orders_checked.sql
-- The CHECK came with CREATE TABLE, so it is valid; an AND of IS NOT NULL tests proves each.
ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL, ALTER COLUMN placed_at SET NOT NULL;
