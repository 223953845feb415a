CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint,
  placed_at timestamptz,
  CONSTRAINT orders_customer_present CHECK (customer_id IS NOT NULL AND placed_at IS NOT NULL)
);
