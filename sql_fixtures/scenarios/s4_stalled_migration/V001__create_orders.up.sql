-- The table of scenario S4, which a long transaction will hold locked.
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer text NOT NULL,
  total numeric(12, 2) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO orders (customer, total)
SELECT 'customer ' || g, (g % 500) + 0.99
FROM generate_series(1, 100) AS g;
