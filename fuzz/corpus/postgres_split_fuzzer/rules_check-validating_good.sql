ALTER TABLE messages ADD CONSTRAINT check_sentiment
  CHECK (sentiment IN ('positive', 'negative', 'neutral')) NOT VALID;

-- A table created in this migration is empty and unseen.
CREATE TABLE reviews (id bigint PRIMARY KEY, stars int);
ALTER TABLE reviews ADD CONSTRAINT reviews_stars_range CHECK (stars BETWEEN 1 AND 5);
ALTER TABLE reviews ADD COLUMN votes int CHECK (votes >= 0);
