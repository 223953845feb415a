-- migrate:class backward-compatible
-- Validates V004's constraint: a scan under SHARE UPDATE EXCLUSIVE, which blocks no reads or writes.
ALTER TABLE products VALIDATE CONSTRAINT products_price_positive;
