LOCK TABLE users IN ACCESS EXCLUSIVE MODE;
INSERT INTO users_archive (id, email) SELECT id, email FROM users WHERE deleted;
CREATE INDEX idx_users_email ON users (email);
