-- migrate:backfill
-- The UPDATE runs in batches, each its own transaction, after the ALTER TABLE committed.
ALTER TABLE orders ADD COLUMN status text;
UPDATE orders SET status = 'new' WHERE status IS NULL;
