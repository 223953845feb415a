-- A partial index does not serve the lookups of the foreign key's checks.
CREATE INDEX CONCURRENTLY refunds_open_payment_idx ON refunds (payment_id) WHERE NOT settled;
ALTER TABLE refunds ADD CONSTRAINT refunds_payment_id_fkey
  FOREIGN KEY (payment_id) REFERENCES payments (id) NOT VALID;
