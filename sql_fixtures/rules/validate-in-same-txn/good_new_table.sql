CREATE TABLE refunds (id bigint PRIMARY KEY, amount numeric NOT NULL);
ALTER TABLE refunds ADD CONSTRAINT refunds_amount_positive CHECK (amount > 0) NOT VALID;
ALTER TABLE refunds VALIDATE CONSTRAINT refunds_amount_positive;
