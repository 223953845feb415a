CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric);
CREATE TABLE customers (id bigserial, CONSTRAINT customers_pkey PRIMARY KEY (id));
CREATE TABLE line_items (id bigint PRIMARY KEY, quantity bigint NOT NULL, flags int8);
ALTER TABLE line_items ADD COLUMN position bigint;
-- Arrays and other numeric types are not integer columns.
CREATE TABLE stats (samples integer[], ratio real, amount numeric(12, 2));
-- An existing column's type change is the business of alter-column-type-rewrite.
ALTER TABLE line_items ALTER COLUMN quantity TYPE integer;
