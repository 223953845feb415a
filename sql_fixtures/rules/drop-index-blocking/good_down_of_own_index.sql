-- setup: setup_invoices.sql
-- down of: up_own_index.sql
-- a down file removing an index its own up file built on a table that up file created: the
-- rollback is judged like the up file that made them
DROP INDEX archive_label;
DROP TABLE archive;
