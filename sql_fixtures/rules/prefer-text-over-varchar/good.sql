CREATE TABLE users (
  id bigint PRIMARY KEY,
  email text NOT NULL CONSTRAINT users_email_length CHECK (char_length(email) <= 255),
  nickname varchar
);
ALTER TABLE messages ADD COLUMN sentiment text DEFAULT 'neutral';
-- Widening an existing varchar is alter-column-type-rewrite's business, not this rule's.
ALTER TABLE orders ALTER COLUMN reference TYPE varchar(128);
