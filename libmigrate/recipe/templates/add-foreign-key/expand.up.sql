-- migrate:phase expand
-- migrate:transaction off
-- Foreign key {table}({column}) -> {references}. From this migration on, new and updated rows are checked;
-- existing rows are not. Deploy code that never writes dangling {column} values, delete or fix the existing
-- orphans, then run the contract (VALIDATE; it fails while an orphan is left).
-- Each statement commits on its own: the index build takes SHARE UPDATE EXCLUSIVE (writes go on);
-- ADD ... NOT VALID takes SHARE ROW EXCLUSIVE on both tables, briefly (no scan).
CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} ({column});
ALTER TABLE {table} ADD CONSTRAINT {constraint} FOREIGN KEY ({column}) REFERENCES {references} NOT VALID;
