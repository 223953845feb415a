-- migrate:allow create-index-blocking reason "orders is a 40-row lookup table"
CREATE INDEX idx_orders_customer ON orders (customer_id);
