-- migrate:transaction off
DROP TABLE children;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 1);
