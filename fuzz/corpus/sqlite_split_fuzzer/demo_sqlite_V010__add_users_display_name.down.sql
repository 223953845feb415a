-- Undo the V010 expand step: remove the sync triggers, then the column.
-- display_name is the last column and has no index, so DROP COLUMN works.
DROP TRIGGER users_display_name_on_update;
DROP TRIGGER users_display_name_on_insert;

ALTER TABLE users DROP COLUMN display_name;
