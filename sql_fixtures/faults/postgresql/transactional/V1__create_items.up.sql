CREATE TABLE items (id integer NOT NULL, label text NOT NULL);
INSERT INTO items (id, label) SELECT g, 'item ' || g FROM generate_series(1, 50000) AS g;
-- A window for kill -9 inside the transaction.
SELECT pg_sleep(0.2);
INSERT INTO fault_log (version, direction, step) VALUES ('1', 'up', 1);
