CREATE TABLE accounts (
  id bigint PRIMARY KEY,
  name varchar(50) NOT NULL,
  balance integer NOT NULL DEFAULT 0,
  price numeric(10,2),
  opened_at timestamp,
  network cidr
);
