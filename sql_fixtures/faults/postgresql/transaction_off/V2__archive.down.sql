-- migrate:transaction off
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 1);
DROP INDEX archive_label;
SELECT pg_sleep(0.1);
DROP TABLE archive;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 2);
ALTER TABLE items DROP COLUMN archived;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 3);
