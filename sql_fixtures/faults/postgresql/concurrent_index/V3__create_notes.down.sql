DROP TABLE notes;
INSERT INTO fault_log (version, direction, step) VALUES ('3', 'down', 1);
