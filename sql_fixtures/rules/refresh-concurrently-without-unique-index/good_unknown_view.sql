-- A view this set did not create may have a unique index: unknown without a connection.
REFRESH MATERIALIZED VIEW CONCURRENTLY monthly_revenue;
