REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;
-- A view created in this migration is not read by anyone yet.
CREATE MATERIALIZED VIEW weekly_sales AS
  SELECT date_trunc('week', sold_at) AS week, sum(amount) AS total FROM sales GROUP BY 1
  WITH NO DATA;
REFRESH MATERIALIZED VIEW weekly_sales;
