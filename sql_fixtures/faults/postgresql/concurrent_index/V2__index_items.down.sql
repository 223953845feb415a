-- A killed run leaves the server finishing the drop; the rerun must not then fail forever with
-- "index ... does not exist".
DROP INDEX CONCURRENTLY items_id_idx;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 1);
SELECT pg_sleep(0.1);
DROP INDEX CONCURRENTLY items_label_idx;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 2);
