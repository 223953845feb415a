-- Dropping concurrently is not affected; a new table can be indexed without CONCURRENTLY.
DROP INDEX CONCURRENTLY IF EXISTS idx_orders_legacy;
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint);
CREATE INDEX idx_invoices_customer ON invoices (customer_id);
