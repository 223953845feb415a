UPDATE orders SET status = 'new', status = 'open' WHERE id = 1;
INSERT INTO orders (id, status, id) VALUES (1, 'new', 2);
CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric, total numeric);
CREATE VIEW order_customers AS
  SELECT o.id, c.id FROM orders o JOIN customers c ON c.id = o.customer_id;
ALTER TABLE orders ADD COLUMN note text, ADD COLUMN note text;
UPDATE orders SET (status, note) = ('new', 'x'), note = 'y' WHERE id = 2;
