UPDATE orders SET tags[1] = 'a', tags[2] = 'b' WHERE id = 1;
UPDATE orders SET (status, note) = ('new', 'x') WHERE id = 2;
INSERT INTO orders (id, status) VALUES (3, 'new');
CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric, tax numeric);
CREATE VIEW order_customers AS
  SELECT o.id, c.id AS customer_id FROM orders o JOIN customers c ON c.id = o.customer_id;
-- With SELECT * the columns are not known from the SQL alone.
CREATE VIEW order_rows AS SELECT * FROM orders;
