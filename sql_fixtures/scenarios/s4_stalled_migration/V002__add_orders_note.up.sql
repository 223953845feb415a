-- Needs ACCESS EXCLUSIVE on orders: waits behind any open transaction that read the table.
ALTER TABLE orders ADD COLUMN note text;
