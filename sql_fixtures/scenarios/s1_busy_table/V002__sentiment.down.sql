-- The runbook's rollback: drop the constraint, the index and the column.
ALTER TABLE messages DROP CONSTRAINT IF EXISTS check_sentiment;
DROP INDEX CONCURRENTLY IF EXISTS idx_messages_sentiment;
ALTER TABLE messages DROP COLUMN IF EXISTS sentiment;
