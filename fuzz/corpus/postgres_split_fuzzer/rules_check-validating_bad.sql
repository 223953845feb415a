-- Scenario S1: the runbook's CHECK on the busy messages table.
ALTER TABLE messages ADD CONSTRAINT check_sentiment
  CHECK (sentiment IN ('positive', 'negative', 'neutral'));

-- A CHECK on a new column is checked against every row too, and cannot be NOT VALID.
ALTER TABLE messages ADD COLUMN score int CHECK (score BETWEEN 0 AND 10);
