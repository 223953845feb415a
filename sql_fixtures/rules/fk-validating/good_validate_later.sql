-- setup: setup_shipments.sql
-- The second step of the safe form, in its own migration.
ALTER TABLE shipments VALIDATE CONSTRAINT shipments_order_id_fkey;
