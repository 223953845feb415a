-- setup: setup_orders.sql
-- A CHECK is not a foreign key.
ALTER TABLE orders DROP CONSTRAINT orders_total_check;

-- A table created in this migration has no readers yet.
CREATE TABLE carts (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
ALTER TABLE carts DROP CONSTRAINT carts_customer_id_fkey;
