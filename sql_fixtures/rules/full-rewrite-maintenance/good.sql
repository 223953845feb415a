VACUUM (ANALYZE) events;
VACUUM (FULL false) events;
ANALYZE page_views;
ALTER TABLE events SET (fillfactor = 70);
-- A table created in this migration is empty and invisible to others.
CREATE UNLOGGED TABLE import_batch (id bigint PRIMARY KEY, payload text);
ALTER TABLE import_batch SET LOGGED;
