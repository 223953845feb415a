CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_at_idx ON orders (created_at);
-- Not concurrent: it runs in the migration's transaction, and a retry starts from scratch.
CREATE INDEX ON country_codes (code);
