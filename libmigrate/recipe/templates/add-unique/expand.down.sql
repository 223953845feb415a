-- migrate:transaction off
DROP INDEX CONCURRENTLY IF EXISTS {index_ref};
