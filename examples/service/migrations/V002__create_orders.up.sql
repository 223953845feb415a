-- migrate:class additive
-- Orders are listed per customer, newest first, on the account page.

CREATE TABLE orders (
    id          bigint PRIMARY KEY NOT NULL,
    customer_id bigint NOT NULL REFERENCES customers (id),
    total_cents bigint NOT NULL,
    created_at  text NOT NULL
);

CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);
