-- setup: setup_shipments.sql
-- shipments was created by an earlier migration: it exists, with rows, when this one runs.
ALTER TABLE shipments ADD FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
