CREATE TABLE users (
    id        INTEGER PRIMARY KEY,
    email     TEXT NOT NULL UNIQUE,
    nickname  TEXT,
    team_code TEXT,
    age       INTEGER CHECK (age >= 0),
    bio       TEXT,
    legacy    TEXT,
    archived  INTEGER NOT NULL DEFAULT 0,
    CHECK (length(bio) < 1000)
);
CREATE INDEX idx_users_nickname ON users (nickname);
CREATE INDEX idx_users_active ON users (email) WHERE archived = 0;
CREATE VIEW v_users AS SELECT id, team_code FROM users;
CREATE TABLE teams (code TEXT PRIMARY KEY, owner_email TEXT REFERENCES users (legacy));
