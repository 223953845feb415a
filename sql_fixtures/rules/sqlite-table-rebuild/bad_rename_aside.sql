-- setup: setup_schema.sql
-- Renaming the old table aside rewrites order_items' foreign key to
-- orders_old, which is then dropped.
ALTER TABLE orders RENAME TO orders_old;
CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers (id),
    total       INTEGER
);
INSERT INTO orders (id, customer_id, total)
SELECT id, customer_id, CAST(total AS INTEGER) FROM orders_old;
DROP TABLE orders_old;
CREATE INDEX idx_orders_customer ON orders (customer_id);
