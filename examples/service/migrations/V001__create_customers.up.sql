-- migrate:class additive
-- The service stores its customers; every later table hangs off this one.

CREATE TABLE customers (
    id    bigint PRIMARY KEY NOT NULL,
    email text NOT NULL,
    name  text NOT NULL
);

CREATE UNIQUE INDEX customers_email_key ON customers (email);
