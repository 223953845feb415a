-- Hygiene applies to tables created in this migration too.
CREATE TABLE users (
  id bigint PRIMARY KEY,
  email varchar(255) NOT NULL,
  country char(2)
);

-- Scenario S1.
ALTER TABLE messages ADD COLUMN sentiment VARCHAR(20) DEFAULT 'neutral';
