-- A constraint cannot be marked not validated again: re-create it NOT VALID, as V004 left it.
ALTER TABLE products DROP CONSTRAINT products_price_positive,
  ADD CONSTRAINT products_price_positive CHECK (price_cents > 0) NOT VALID;
