-- Hygiene applies to tables created in this migration too.
CREATE TABLE events (id bigint PRIMARY KEY, payload json NOT NULL);

ALTER TABLE orders ADD COLUMN metadata json;

ALTER TABLE orders ALTER COLUMN extra TYPE json USING extra::json;
