-- Nullable first, or NOT NULL with a constant default (metadata only on PostgreSQL 11+).
ALTER TABLE orders ADD COLUMN region text;
ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';
-- Identity columns fill every row themselves (add-column-rewrite-kinds covers the rewrite).
ALTER TABLE orders ADD COLUMN number bigint NOT NULL GENERATED ALWAYS AS IDENTITY;
-- A table created earlier in this migration is empty.
CREATE TABLE invoices (id bigint PRIMARY KEY);
ALTER TABLE invoices ADD COLUMN customer_id bigint NOT NULL;
