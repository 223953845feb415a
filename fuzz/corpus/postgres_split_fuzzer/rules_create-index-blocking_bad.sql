CREATE INDEX idx_orders_customer ON orders (customer_id);

CREATE UNIQUE INDEX idx_orders_ref
  ON orders (reference);
