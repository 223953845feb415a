CREATE INDEX CONCURRENTLY refunds_payment_id_idx ON refunds (payment_id);
