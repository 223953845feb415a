-- Views the connected database has (plan, lint --db), not created by these migrations.
REFRESH MATERIALIZED VIEW CONCURRENTLY report_no_index;
REFRESH MATERIALIZED VIEW CONCURRENTLY public.report_no_index;
REFRESH MATERIALIZED VIEW CONCURRENTLY reporting.unpopulated;
