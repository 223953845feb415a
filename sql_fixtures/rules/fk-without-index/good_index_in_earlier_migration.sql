-- setup: setup_index.sql
ALTER TABLE refunds ADD CONSTRAINT refunds_payment_id_fkey
  FOREIGN KEY (payment_id) REFERENCES payments (id) NOT VALID;
