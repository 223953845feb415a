CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, body TEXT);
INSERT INTO notes (item_id, body) SELECT id, label FROM items WHERE id % 4 = 0;
INSERT INTO fault_log (version, direction, step) VALUES ('3', 'up', 1);
