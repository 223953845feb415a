-- Scenario S1: the runbook's statements as one plain file, without its BEGIN/COMMIT.
-- libmigrate runs the ALTER in a transaction, the concurrent index build on its own, and the
-- constraint and ANALYZE in a second transaction.
ALTER TABLE messages ADD COLUMN sentiment VARCHAR(20) DEFAULT 'neutral';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_sentiment ON messages(sentiment);
ALTER TABLE messages ADD CONSTRAINT check_sentiment
  CHECK (sentiment IN ('positive', 'negative', 'neutral'));
ANALYZE messages;
