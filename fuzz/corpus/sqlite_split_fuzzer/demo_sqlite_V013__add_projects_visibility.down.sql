-- Remove the visibility column added by V013 (last column, no index).
ALTER TABLE projects DROP COLUMN visibility;
