CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  total REAL NOT NULL DEFAULT 0 CHECK (total >= 0),
  UNIQUE (user_id, id)
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
