ALTER TABLE items ADD COLUMN tag text;
CREATE TABLE notes (id integer NOT NULL, body text);
CREATE INDEX notes_id ON notes (id);
SELECT pg_sleep(0.2);
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 1);
