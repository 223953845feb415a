CREATE TABLE notes (id integer NOT NULL, body text);
INSERT INTO notes (id, body) SELECT id, label FROM items WHERE id % 4 = 0;
INSERT INTO fault_log (version, direction, step) VALUES ('3', 'up', 1);
