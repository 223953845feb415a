-- setup: setup_schema.sql
-- Small tables, tables without row counts, and tables created here.
UPDATE settings SET value = 'on' WHERE key = 'feature_x';
CREATE INDEX idx_settings_value ON settings (value);
INSERT INTO event_kinds (kind) VALUES ('login');
DELETE FROM event_kinds WHERE kind = 'obsolete';
CREATE TABLE archive (id INTEGER PRIMARY KEY, kind TEXT);
INSERT INTO archive (id, kind) VALUES (1, 'x');
CREATE INDEX idx_archive_kind ON archive (kind);
