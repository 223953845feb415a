-- Large enough that each concurrent index build takes a while.
CREATE TABLE items (id integer NOT NULL, label text NOT NULL);
INSERT INTO items (id, label) SELECT g, md5(g::text) FROM generate_series(1, 200000) AS g;
INSERT INTO fault_log (version, direction, step) VALUES ('1', 'up', 1);
