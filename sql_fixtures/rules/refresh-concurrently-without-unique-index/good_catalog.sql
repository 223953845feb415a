-- The database's view has a usable unique index, or this migration gives it one first, or
-- populates it first.
REFRESH MATERIALIZED VIEW CONCURRENTLY report_indexed;
CREATE UNIQUE INDEX CONCURRENTLY report_no_index_key ON report_no_index (id);
REFRESH MATERIALIZED VIEW CONCURRENTLY report_no_index;
REFRESH MATERIALIZED VIEW reporting.unpopulated;
REFRESH MATERIALIZED VIEW CONCURRENTLY reporting.unpopulated;
