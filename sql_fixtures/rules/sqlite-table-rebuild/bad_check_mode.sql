-- setup: setup_schema.sql
-- The default foreign-keys mode `check`: guidance only.
CREATE TABLE new_orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers (id),
    total       INTEGER
);
INSERT INTO new_orders (id, customer_id, total)
SELECT id, customer_id, CAST(total AS INTEGER) FROM orders;
DROP TABLE orders;
ALTER TABLE new_orders RENAME TO orders;
CREATE INDEX idx_orders_customer ON orders (customer_id);
