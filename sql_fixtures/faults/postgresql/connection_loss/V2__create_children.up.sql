-- migrate:transaction off
-- The test cuts the connection while pg_sleep(1.02) runs, between committed statements.
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 1);
CREATE TABLE children (id integer NOT NULL, parent_id integer NOT NULL);
SELECT pg_sleep(1.02);
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 2);
