CREATE TABLE drafts (id bigint, body text, scratch text);
ALTER TABLE drafts DROP COLUMN scratch;
