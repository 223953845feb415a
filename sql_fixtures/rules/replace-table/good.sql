CREATE TABLE IF NOT EXISTS audit_log (id bigint PRIMARY KEY, entry text);
-- Recreating a scratch table of this migration loses nothing.
CREATE TABLE import_scratch (id bigint);
DROP TABLE import_scratch;
CREATE TABLE import_scratch (id bigint, payload text);
