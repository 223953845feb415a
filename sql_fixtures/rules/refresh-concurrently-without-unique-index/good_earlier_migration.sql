-- setup: setup_view.sql
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;
