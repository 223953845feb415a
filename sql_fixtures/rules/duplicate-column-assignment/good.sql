UPDATE orders SET tags[1] = 'a', tags[2] = 'b' WHERE id = 1;
UPDATE orders SET (status, note) = ('new', 'x') WHERE id = 2;
INSERT INTO orders (id, status) VALUES (3, 'new');
CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric, tax numeric);
CREATE VIEW order_customers AS
  SELECT o.id, c.id AS customer_id FROM orders o JOIN customers c ON c.id = o.customer_id;
-- With SELECT * the columns are not known from the SQL alone.
CREATE VIEW order_rows AS SELECT * FROM orders;
-- PostgreSQL accepts these (checked on a server): element and field assignments, even the same
-- element twice, and a quoted "Status" is another column than status.
UPDATE orders SET tags[1] = 'a', tags[1] = 'b' WHERE id = 1;
UPDATE orders SET tags[1] = 'a', tags[1:2] = '{a,b}' WHERE id = 1;
UPDATE orders SET addr.city = 'x', addr.zip = 'y' WHERE id = 1;
UPDATE orders SET addr.city = 'x', addr.city = 'y' WHERE id = 1;
UPDATE orders SET "Status" = 'a', status = 'b' WHERE id = 1;
UPDATE orders SET (tags[1], tags[2]) = ('a', 'b') WHERE id = 1;
INSERT INTO orders (id, tags[1], tags[2]) VALUES (1, 'a', 'b');
INSERT INTO orders (id, note) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET note = 'y';
INSERT INTO orders (id, note) VALUES (1, 'x')
  ON CONFLICT (id) DO UPDATE SET tags[1] = 'a', tags[2] = 'b';
MERGE INTO orders o USING carts c ON c.order_id = o.id
  WHEN MATCHED THEN UPDATE SET total = c.total
  WHEN NOT MATCHED THEN INSERT (id, total) VALUES (c.order_id, c.total);
