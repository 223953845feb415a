CREATE MATERIALIZED VIEW daily_sales AS
  SELECT created_at::date AS day, sum(total) AS total FROM orders GROUP BY 1;
CREATE INDEX daily_sales_day ON daily_sales (day);
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;
