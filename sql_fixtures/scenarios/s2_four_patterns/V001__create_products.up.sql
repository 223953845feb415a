-- migrate:class additive
-- The catalog's products, with the old free-text SKU column the breaking change below renames.
CREATE TABLE products (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  price_cents bigint,
  legacy_sku text
);
INSERT INTO products (name, price_cents, legacy_sku)
SELECT 'product ' || g, 100 + g, 'SKU-' || g FROM generate_series(1, 2000) g;
