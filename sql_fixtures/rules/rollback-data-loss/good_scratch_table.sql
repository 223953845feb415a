-- setup: customers.sql
-- down of: up.sql
-- a copy kept aside while the down file works: its own scratch table
CREATE TABLE orders_copy AS SELECT * FROM orders;
DROP TABLE orders_copy;
ALTER TABLE orders RENAME TO orders_rolled_back;
