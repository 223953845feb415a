-- migrate:transaction off
-- Every statement commits on its own: the ACCESS EXCLUSIVE is released before the backfill.
ALTER TABLE orders ADD COLUMN status text;
UPDATE orders SET status = 'new' WHERE status IS NULL;
