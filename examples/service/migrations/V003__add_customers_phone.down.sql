-- Undo V003: phone is the last column and has no index, so DROP COLUMN works on SQLite too.
ALTER TABLE customers DROP COLUMN phone;
