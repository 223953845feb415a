CREATE INDEX CONCURRENTLY idx_orders_customer ON orders (customer_id);
REINDEX INDEX CONCURRENTLY idx_orders_status;
