CREATE TABLE teams (code TEXT PRIMARY KEY);
CREATE TABLE users (
    id        INTEGER PRIMARY KEY,
    email     TEXT NOT NULL UNIQUE,
    nickname  TEXT,
    team_code TEXT,
    display   TEXT,
    age       INTEGER CHECK (age >= 0),
    bio       TEXT,
    archived  INTEGER NOT NULL DEFAULT 0,
    CHECK (length(bio) < 1000),
    FOREIGN KEY (team_code) REFERENCES teams (code)
);
CREATE INDEX idx_users_nickname ON users (nickname);
CREATE INDEX idx_users_active ON users (email) WHERE archived = 0;
CREATE VIEW v_users AS SELECT id, display FROM users;
