CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
INSERT INTO items (id, label)
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000)
SELECT x, 'item ' || x FROM n;
INSERT INTO fault_log (version, direction, step) VALUES ('1', 'up', 1);
