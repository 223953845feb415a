CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb NOT NULL);
ALTER TABLE orders ADD COLUMN metadata jsonb;
ALTER TABLE orders ALTER COLUMN extra TYPE jsonb USING extra::jsonb;
