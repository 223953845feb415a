ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;
-- Nobody else sees a table created earlier in this migration.
CREATE TABLE invoices (id bigint PRIMARY KEY, status text);
ALTER TABLE invoices ALTER COLUMN status SET DEFAULT 'draft';
