-- An index on a table created in the same migration blocks nobody.
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint);
CREATE INDEX idx_invoices_customer ON invoices (customer_id);
CREATE INDEX CONCURRENTLY idx_orders_customer ON orders (customer_id);
