-- A type created earlier in the same migration is not used by any running app yet.
CREATE TYPE payment_state AS ENUM ('new', 'canceled');
ALTER TYPE payment_state RENAME VALUE 'canceled' TO 'cancelled';
