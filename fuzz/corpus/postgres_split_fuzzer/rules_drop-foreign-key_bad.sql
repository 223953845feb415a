-- setup: setup_orders.sql
-- The unnamed REFERENCES clause was named orders_customer_id_fkey by PostgreSQL.
ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;

ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_coupon_fk;
