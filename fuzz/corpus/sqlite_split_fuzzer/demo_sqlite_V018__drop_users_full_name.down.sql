-- Undo the V018 contract step: put full_name back in its original position
-- and restore the V010 sync triggers.
--
-- ADD COLUMN would append full_name after display_name, so the table is
-- rebuilt instead. It is copied aside and recreated under its own name
-- (rather than CREATE new_users + RENAME) so the stored CREATE TABLE text is
-- byte-for-byte what V010 left behind, including the ", display_name TEXT"
-- that ALTER TABLE ADD COLUMN appended. Foreign keys are off (the tool
-- handles that), so dropping users does not touch the rows that reference it.
CREATE TABLE users_rollback AS
SELECT id, email, display_name, created_at FROM users;

DROP TABLE users;

CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name  TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
, display_name TEXT);

-- full_name is NOT NULL; fall back to the email for anyone without a name.
INSERT INTO users (id, email, full_name, created_at, display_name)
SELECT id, email, COALESCE(display_name, email), created_at, display_name
FROM users_rollback;

DROP TABLE users_rollback;

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
