CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric);
CREATE TABLE customers (id bigserial, CONSTRAINT customers_pkey PRIMARY KEY (id));
-- A join table's integer key columns follow the tables they reference.
CREATE TABLE order_tags (order_id integer, tag_id integer, PRIMARY KEY (order_id, tag_id));
-- Integer columns that are not keys.
CREATE TABLE line_items (id bigint PRIMARY KEY, quantity integer NOT NULL);
