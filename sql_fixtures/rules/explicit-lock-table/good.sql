-- Modes below SHARE do not block the application's reads or writes.
LOCK TABLE orders IN ACCESS SHARE MODE;
LOCK TABLE orders IN ROW SHARE MODE;
LOCK TABLE orders IN ROW EXCLUSIVE MODE;
LOCK TABLE orders IN SHARE UPDATE EXCLUSIVE MODE;
-- A table created earlier in this migration is invisible to others.
CREATE TABLE staging (id bigint);
LOCK TABLE staging IN ACCESS EXCLUSIVE MODE;
