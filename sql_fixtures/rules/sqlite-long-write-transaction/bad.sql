-- setup: setup_schema.sql
UPDATE events SET kind = 'unknown' WHERE kind IS NULL;

DELETE FROM events WHERE payload IS NULL;

INSERT INTO event_kinds (kind) SELECT DISTINCT kind FROM events;

CREATE INDEX idx_events_kind ON events (kind);
