-- migrate:phase contract
-- migrate:completes V{expand_version}
-- Run after the code deployed after V{expand_version} is everywhere. Brief ACCESS EXCLUSIVE, no scan:
-- the valid unique index {index} becomes constraint {constraint} (and is renamed to {constraint}).
ALTER TABLE {table} ADD CONSTRAINT {constraint} UNIQUE USING INDEX {index};
