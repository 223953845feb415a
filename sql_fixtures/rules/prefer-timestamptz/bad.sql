-- Hygiene applies to tables created in this migration too.
CREATE TABLE events (id bigint PRIMARY KEY, happened_at timestamp NOT NULL);

ALTER TABLE orders ADD COLUMN shipped_at timestamp(3) without time zone;
