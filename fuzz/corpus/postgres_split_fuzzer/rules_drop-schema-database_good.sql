CREATE SCHEMA IF NOT EXISTS analytics;
ALTER SCHEMA analytics OWNER TO analyst;
DROP VIEW IF EXISTS analytics.stale_report;
