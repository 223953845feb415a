-- A materialized view refreshed with REFRESH MATERIALIZED VIEW CONCURRENTLY: it needs a unique
-- index, which the verify file checks through the runbook's function.
CREATE MATERIALIZED VIEW account_totals AS
  SELECT owner, sum(balance) AS total FROM accounts GROUP BY owner;
CREATE UNIQUE INDEX account_totals_owner ON account_totals (owner);
