-- setup: setup_invoices.sql
-- down of: up_own_index.sql
-- the index was this migration's, but the table it blocks existed before it
DROP INDEX invoices_note;
DROP INDEX archive_label;
DROP TABLE archive;
