CREATE INDEX CONCURRENTLY idx_orders_search
  ON orders (customer_id, status, region, created_at);
