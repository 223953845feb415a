CREATE INDEX CONCURRENTLY idx_orders_customer ON orders (customer_id);
DROP INDEX CONCURRENTLY idx_orders_legacy;

