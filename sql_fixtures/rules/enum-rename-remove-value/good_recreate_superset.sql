-- setup: setup_enum.sql
-- Recreating the type with every old value and a new one removes nothing.
ALTER TYPE order_status RENAME TO order_status_old;
CREATE TYPE order_status AS ENUM ('pending', 'shipped', 'delivered', 'legacy');
