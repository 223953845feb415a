-- migrate:class additive
-- Teams group people and own projects. The slug is used in URLs, so it is
-- limited to lowercase letters, digits and dashes.

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE CHECK (slug <> '' AND slug NOT GLOB '*[^a-z0-9-]*'),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

INSERT INTO teams (id, slug, name, created_at) VALUES
    (1, 'platform', 'Platform', '2024-01-08T09:10:00Z'),
    (2, 'mobile', 'Mobile Apps', '2024-01-09T10:00:00Z'),
    (3, 'support', 'Customer Support; Tier 1', '2024-01-15T11:20:00Z');
