-- Nobody else sees a table created earlier in this migration.
CREATE TABLE invoices (id bigint PRIMARY KEY, amount integer, note varchar(200));
ALTER TABLE invoices ALTER COLUMN amount TYPE bigint;
ALTER TABLE invoices ALTER COLUMN note TYPE text;
