-- setup: customers.sql
-- down of: up.sql
-- keeps the rows: renamed aside instead of dropped
ALTER TABLE orders RENAME TO orders_rolled_back;
