-- migrate:allow create-index-blocking
CREATE INDEX idx_orders_customer ON orders (customer_id);
