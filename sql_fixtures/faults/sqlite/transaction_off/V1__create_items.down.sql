DROP TABLE items;
INSERT INTO fault_log (version, direction, step) VALUES ('1', 'down', 1);
