CREATE MATERIALIZED VIEW daily_sales AS
  SELECT created_at::date AS day, sum(total) AS total FROM orders GROUP BY 1;
-- A partial unique index does not count.
CREATE UNIQUE INDEX daily_sales_recent_day ON daily_sales (day) WHERE day > '2024-01-01';
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;
