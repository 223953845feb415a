-- A scratch table created earlier in the same migration is nobody else's: dropping it is fine.
CREATE TABLE import_scratch (id bigint PRIMARY KEY, payload text);
INSERT INTO import_scratch (id, payload) VALUES (1, 'a');
DROP TABLE import_scratch;
DROP VIEW IF EXISTS legacy_orders_view;
