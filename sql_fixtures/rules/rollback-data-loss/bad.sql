-- setup: customers.sql
-- down of: up.sql
ALTER TABLE customers DROP COLUMN tier;
DROP TABLE orders;
