-- setup: prepare_bound_check.sql
-- setup: validate_bound_check.sql
-- The validated CHECK proves the bound: ATTACH skips the scan.
ALTER TABLE measurements ATTACH PARTITION measurements_2024
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE measurements_2024 DROP CONSTRAINT measurements_2024_bound;
