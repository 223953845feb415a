-- A table created in this migration: nobody else sees its rows yet.
CREATE TABLE order_totals (order_id bigint PRIMARY KEY, total numeric);
INSERT INTO order_totals (order_id, total) SELECT id, total FROM orders;
UPDATE order_totals SET total = 0;
DELETE FROM order_totals WHERE total < 0;
-- One batch already: a key range, a LIMIT-ed sub-query, rows named by key.
UPDATE orders SET status = 'new' WHERE id BETWEEN 1 AND 1000 AND status IS NULL;
UPDATE orders SET status = 'new'
 WHERE id IN (SELECT id FROM orders WHERE status IS NULL ORDER BY id LIMIT 1000);
DELETE FROM sessions WHERE id = 42;
UPDATE settings SET value = 'on' WHERE id IN (1, 2, 3);
-- INSERT ... SELECT is backfill-in-schema-migration's.
INSERT INTO orders_archive SELECT * FROM orders;
