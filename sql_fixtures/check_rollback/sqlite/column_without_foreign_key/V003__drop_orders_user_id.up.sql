CREATE TABLE orders_new (
  id INTEGER PRIMARY KEY
);
INSERT INTO orders_new (id) SELECT id FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
