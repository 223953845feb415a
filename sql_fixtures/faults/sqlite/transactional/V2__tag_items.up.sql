ALTER TABLE items ADD COLUMN tag TEXT;
UPDATE items SET tag = 't' || (id % 10);
CREATE INDEX items_tag ON items (tag);
INSERT INTO fault_log (version, direction, step) VALUES ('2', 'up', 1);
