ALTER TABLE orders ADD COLUMN status text;
UPDATE orders SET status = 'new' WHERE status IS NULL;

ALTER TABLE accounts ADD CONSTRAINT accounts_balance_nonneg CHECK (balance >= 0) NOT VALID;
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance_nonneg;
