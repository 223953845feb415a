ALTER TABLE measurements DETACH PARTITION measurements_2019 CONCURRENTLY;
-- A partitioned table created in this migration is not visible to anyone yet.
CREATE TABLE readings (device_id bigint, taken_at timestamptz) PARTITION BY RANGE (taken_at);
CREATE TABLE readings_2024 PARTITION OF readings
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE readings DETACH PARTITION readings_2024;
