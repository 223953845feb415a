-- A plain nullable column is metadata only; a trigger and a batched backfill fill it.
ALTER TABLE orders ADD COLUMN total_cents bigint;
-- Nobody else sees a table created earlier in this migration.
CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric);
ALTER TABLE invoices ADD COLUMN seq bigserial;
ALTER TABLE invoices ADD COLUMN total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED;
CREATE TABLE payments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n serial);
