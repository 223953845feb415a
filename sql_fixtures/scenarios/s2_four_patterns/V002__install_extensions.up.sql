-- migrate:class additive
-- The runbook's extensions, in dependency order: earthdistance requires cube.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
