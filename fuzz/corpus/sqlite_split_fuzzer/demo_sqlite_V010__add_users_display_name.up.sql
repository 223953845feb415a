-- migrate:class breaking
-- migrate:phase expand
-- Expand step of replacing users.full_name with display_name (contract is
-- V018): add the column, copy the names, keep it in sync for old code.

ALTER TABLE users ADD COLUMN display_name TEXT;

UPDATE users SET display_name = full_name WHERE display_name IS NULL;

-- Old application versions only know full_name; mirror their writes.
CREATE TRIGGER users_display_name_on_insert
AFTER INSERT ON users
WHEN NEW.display_name IS NULL
BEGIN
    UPDATE users SET display_name = NEW.full_name WHERE id = NEW.id;
END;

CREATE TRIGGER users_display_name_on_update
AFTER UPDATE OF full_name ON users
BEGIN
    UPDATE users SET display_name = NEW.full_name WHERE id = NEW.id;
END;
