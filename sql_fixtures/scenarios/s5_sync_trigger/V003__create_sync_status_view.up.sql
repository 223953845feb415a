-- What the runbook verifies through: row counts match and nothing is missing.
CREATE VIEW sync_status AS
SELECT
  (SELECT count(*) FROM orders) AS source_rows,
  (SELECT count(*) FROM orders_sync) AS synced_rows,
  (SELECT count(*) FROM orders o
    WHERE NOT EXISTS (SELECT 1 FROM orders_sync s WHERE s.order_id = o.id)) AS missing_rows;
