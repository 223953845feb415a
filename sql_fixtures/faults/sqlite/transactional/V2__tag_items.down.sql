DROP INDEX items_tag;
ALTER TABLE items DROP COLUMN tag;
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'down', 1);
