-- setup: setup_schema.sql
-- No rebuild: only what ALTER TABLE can do in place, and a new table.
ALTER TABLE orders ADD COLUMN note TEXT;
CREATE TABLE refunds (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders (id));
INSERT INTO refunds (order_id) SELECT id FROM orders WHERE total = '0';
-- A scratch table created and dropped in the same migration is no rebuild either.
CREATE TABLE scratch AS SELECT id FROM orders;
DROP TABLE scratch;
