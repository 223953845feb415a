UPDATE orders SET status = 'new', status = 'open' WHERE id = 1;
INSERT INTO orders (id, status, id) VALUES (1, 'new', 2);
CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric, total numeric);
CREATE VIEW order_customers AS
  SELECT o.id, c.id FROM orders o JOIN customers c ON c.id = o.customer_id;
ALTER TABLE orders ADD COLUMN note text, ADD COLUMN note text;
UPDATE orders SET (status, note) = ('new', 'x'), note = 'y' WHERE id = 2;
UPDATE orders SET (status, status) = ('a', 'b') WHERE id = 3;
UPDATE orders SET (status, note) = (SELECT 'a', 'b'), note = 'c' WHERE id = 4;
INSERT INTO orders (id, note) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET note = 'y', note = 'z';
UPDATE orders SET Status = 'a', status = 'b' WHERE id = 5;
UPDATE orders SET tags = '{}', tags[1] = 'a' WHERE id = 6;
UPDATE orders SET tags[1] = 'a', tags = '{}' WHERE id = 6;
INSERT INTO orders (id, tags[1], tags) VALUES (7, 'a', '{}');
UPDATE orders SET addr = ROW('x', 'y'), addr.city = 'z' WHERE id = 8;
MERGE INTO orders o USING carts c ON c.order_id = o.id
  WHEN MATCHED THEN UPDATE SET total = c.total, total = 0
  WHEN NOT MATCHED THEN INSERT (id, id) VALUES (c.order_id, c.order_id);
WITH u AS (UPDATE orders SET note = 'a', note = 'b' WHERE id = 9 RETURNING id) SELECT * FROM u;
INSERT INTO orders (id, note) VALUES (1, 'x')
  ON CONFLICT (id) DO UPDATE SET (note, status) = ('a', 'b'), status = 'c';
