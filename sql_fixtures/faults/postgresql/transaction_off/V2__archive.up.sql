-- migrate:transaction off
-- Several side effects and DDL, each statement on its own: a kill between any two of them must
-- neither repeat nor lose one.
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 1);
ALTER TABLE items ADD COLUMN archived boolean;
CREATE TABLE archive (id integer NOT NULL, label text NOT NULL);
SELECT pg_sleep(0.1);
INSERT INTO archive (id, label) SELECT id, label FROM items WHERE id % 2 = 0;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 2);
CREATE INDEX archive_label ON archive (label);
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 3);
