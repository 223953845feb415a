CREATE TABLE orders (id serial PRIMARY KEY, total numeric);
CREATE TABLE events (id bigserial PRIMARY KEY);
CREATE TABLE flags (id smallserial);
CREATE TABLE legacy (a serial4, b serial8, c serial2);
ALTER TABLE customers ADD COLUMN seq bigserial;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS n serial NOT NULL, ADD COLUMN note text;
CREATE UNLOGGED TABLE IF NOT EXISTS app.jobs (id BIGSERIAL NOT NULL);
