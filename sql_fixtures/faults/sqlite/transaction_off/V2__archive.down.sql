-- migrate:transaction off
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 1);
ALTER TABLE items DROP COLUMN archived;
DROP INDEX archive_label;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 2);
DROP TABLE archive;
VACUUM;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 3);
