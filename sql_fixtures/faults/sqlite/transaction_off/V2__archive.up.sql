-- migrate:transaction off
-- Several side effects and DDL, each statement on its own, and a VACUUM, which SQLite cannot run
-- in a transaction: a kill between any two of them must neither repeat nor lose one.
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 1);
CREATE TABLE archive (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
INSERT INTO archive (id, label) SELECT id, label FROM items WHERE id % 2 = 0;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 2);
CREATE INDEX archive_label ON archive (label);
ALTER TABLE items ADD COLUMN archived INTEGER;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 3);
VACUUM;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 4);
