DROP TABLE parents;
INSERT INTO fault_log (version, direction, step) VALUES ('1', 'down', 1);
