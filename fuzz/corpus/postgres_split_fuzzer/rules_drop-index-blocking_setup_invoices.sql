CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint);
CREATE INDEX idx_invoices_customer ON invoices (customer_id);
