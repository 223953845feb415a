-- migrate:allow drop-foreign-key reason "re-added at once as NOT VALID: the state after the expand"
-- A constraint cannot be un-validated: drop and re-add it NOT VALID in one statement (brief ACCESS EXCLUSIVE on
-- both tables, no scan). Checks on new rows never stop.
ALTER TABLE {table}
  DROP CONSTRAINT IF EXISTS {constraint},
  ADD CONSTRAINT {constraint} FOREIGN KEY ({column}) REFERENCES {references} NOT VALID;
