-- migrate:class backward-compatible
-- Projects can now be private to their members. The default 'team' keeps the
-- current behaviour, so old code that never sets the column is unaffected.

ALTER TABLE projects ADD COLUMN visibility TEXT NOT NULL DEFAULT 'team';
