-- A partition created in this migration is empty: the check is instant.
CREATE TABLE measurements_2025 (LIKE measurements INCLUDING DEFAULTS);
ALTER TABLE measurements ATTACH PARTITION measurements_2025
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
