CREATE TABLE import_rows (id bigint PRIMARY KEY, payload text);
INSERT INTO import_rows (id, payload) VALUES (1, 'a');
TRUNCATE import_rows;
DELETE FROM sessions WHERE id IN (SELECT id FROM sessions ORDER BY id LIMIT 1000);
