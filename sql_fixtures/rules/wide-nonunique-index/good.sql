CREATE INDEX CONCURRENTLY idx_orders_customer_status
  ON orders (customer_id, status) INCLUDE (region, created_at);
CREATE UNIQUE INDEX CONCURRENTLY idx_orders_natural_key
  ON orders (tenant_id, customer_id, channel, reference);
