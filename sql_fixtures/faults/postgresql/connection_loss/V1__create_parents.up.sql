-- The test cuts the connection (server restart or pg_terminate_backend) while pg_sleep(1.01)
-- runs, inside this migration's transaction.
CREATE TABLE parents (id integer NOT NULL);
INSERT INTO fault_log (version, direction, step) VALUES ('1', 'up', 1);
SELECT pg_sleep(1.01);
INSERT INTO parents (id) VALUES (1);
