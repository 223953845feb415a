-- The busy table of scenario S1: a messages table with a few thousand rows.
CREATE TABLE messages (
  id bigserial PRIMARY KEY,
  sender text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO messages (sender, body, created_at)
SELECT 'user' || (g % 97), 'message number ' || g, now() - g * interval '1 minute'
FROM generate_series(1, 5000) AS g;
