-- 200000 rows from a recursive CTE: the slow statement that gives kill -9 a window.
CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
INSERT INTO items (id, label)
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000)
SELECT x, 'item ' || x FROM n;
INSERT INTO fault_log (version, direction, step) VALUES ('1', 'up', 1);
