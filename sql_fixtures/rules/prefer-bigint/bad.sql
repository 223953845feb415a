-- Hygiene applies to tables created in this migration too.
CREATE TABLE orders (id serial PRIMARY KEY, total numeric);

CREATE TABLE customers (
  id integer GENERATED ALWAYS AS IDENTITY,
  name text,
  CONSTRAINT customers_pkey PRIMARY KEY (id)
);

CREATE TABLE countries (code smallint PRIMARY KEY, name text);
