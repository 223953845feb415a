-- A named and an unnamed concurrent build. A killed run leaves the server finishing the build
-- (or an invalid index); the rerun must neither build the unnamed one twice (items_id_idx1) nor
-- leave an invalid one behind.
CREATE INDEX CONCURRENTLY items_label_idx ON items (label);
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 1);
CREATE INDEX CONCURRENTLY ON items (id);
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 2);
