CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_customer ON orders (customer_id);
DROP INDEX CONCURRENTLY IF EXISTS idx_orders_legacy;
-- REINDEX has no IF EXISTS form, and transactional statements roll back as a whole.
REINDEX INDEX CONCURRENTLY idx_orders_customer;
CREATE INDEX idx_small_lookup ON country_codes (code);
CREATE TABLE audit (id bigint);
DROP TABLE old_orders;
-- An unnamed CREATE INDEX CONCURRENTLY is unnamed-concurrent-index's finding.
CREATE INDEX CONCURRENTLY ON orders (created_at);
