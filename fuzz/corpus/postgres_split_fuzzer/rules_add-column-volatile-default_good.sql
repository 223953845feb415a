-- Scenario S1: a constant default is metadata only on PostgreSQL 11+.
ALTER TABLE messages ADD COLUMN sentiment VARCHAR(20) DEFAULT 'neutral';
-- now() and current_timestamp are STABLE: one value for the whole statement, no rewrite.
ALTER TABLE orders ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE orders ADD COLUMN updated_at timestamptz DEFAULT current_timestamp;
-- The safe form: add nullable, then a default for new rows only.
ALTER TABLE orders ADD COLUMN token uuid;
ALTER TABLE orders ALTER COLUMN token SET DEFAULT gen_random_uuid();
-- Nobody else sees a table created earlier in this migration.
CREATE TABLE invoices (id bigint PRIMARY KEY);
ALTER TABLE invoices ADD COLUMN token uuid DEFAULT gen_random_uuid();
