DROP TABLE notes;
SELECT pg_sleep(0.2);
ALTER TABLE items DROP COLUMN tag;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 1);
