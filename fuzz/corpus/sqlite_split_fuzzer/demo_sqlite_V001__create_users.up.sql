-- migrate:class additive
-- Accounts for everyone who can sign in to the tracker. Email is the login
-- identifier; full_name is what the UI shows next to tasks and comments.

CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name  TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Demo accounts so later backfills have real rows to work on.
INSERT INTO users (id, email, full_name, created_at) VALUES
    (1, 'ada.okafor@example.com', 'Ada Okafor', '2024-01-08T09:00:00Z'),
    (2, 'bruno.silva@example.com', 'Bruno Silva', '2024-01-08T09:05:00Z'),
    (3, 'chen.wei@example.com', 'Chen Wei', '2024-01-09T14:30:00Z'),
    (4, 'dana.kowalski@example.com', 'Dana Kowalski', '2024-01-10T08:15:00Z'),
    (5, 'emeka.obi@example.com', 'Emeka O''Brien-Obi', '2024-01-12T17:45:00Z');
