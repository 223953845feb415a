-- One migration, one transaction: libmigrate wraps it.
ALTER TABLE orders ADD COLUMN note text;
CREATE INDEX CONCURRENTLY idx_orders_note ON orders (note);
