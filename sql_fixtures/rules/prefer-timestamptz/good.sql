CREATE TABLE events (id bigint PRIMARY KEY, happened_at timestamptz NOT NULL);
ALTER TABLE orders ADD COLUMN shipped_at timestamp(3) with time zone;
ALTER TABLE orders ADD COLUMN shipped_on date;
