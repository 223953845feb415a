-- migrate:class backward-compatible
-- Pattern 2, backward-compatible: the constraint is added NOT VALID (new rows only, no scan under
-- the ACCESS EXCLUSIVE lock); V005 validates the existing rows under a weaker lock.
ALTER TABLE products ADD CONSTRAINT products_price_positive CHECK (price_cents > 0) NOT VALID;
