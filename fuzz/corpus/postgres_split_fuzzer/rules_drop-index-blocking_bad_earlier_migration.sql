-- setup: setup_invoices.sql
-- The index was created by an earlier migration: it exists in production when this one runs.
DROP INDEX idx_invoices_customer;
