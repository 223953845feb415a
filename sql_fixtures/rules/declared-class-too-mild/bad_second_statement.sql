-- migrate:class additive
-- The finding points at the statement that makes the class more severe (line 5), not line 0.
CREATE TABLE audit (id bigint);
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
  ALTER TABLE orders DROP COLUMN legacy;
