CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, nickname TEXT, old_name TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, user_id INTEGER, what TEXT);
CREATE TRIGGER users_audit AFTER UPDATE ON users BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, 'updated');
END;
CREATE VIEW v_audit AS SELECT id, what FROM audit;
