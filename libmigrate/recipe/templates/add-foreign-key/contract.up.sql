-- migrate:phase contract
-- migrate:completes V{expand_version}
-- Run after the orphans in {table}.{column} are gone (code deployed after V{expand_version} writes none).
-- VALIDATE scans {table} under SHARE UPDATE EXCLUSIVE (reads and writes go on; {references}: ROW SHARE).
ALTER TABLE {table} VALIDATE CONSTRAINT {constraint};
