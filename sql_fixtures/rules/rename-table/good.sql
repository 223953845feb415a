-- Renaming a table created in this migration breaks no client; renaming a column is another rule.
CREATE TABLE staging_clients (id bigint PRIMARY KEY, name text);
ALTER TABLE staging_clients RENAME TO clients_import;
ALTER TABLE customers RENAME COLUMN fullname TO full_name;
