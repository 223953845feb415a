-- setup: setup_not_valid.sql
-- Added NOT VALID by an earlier migration: the ADD's lock is long released.
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;
