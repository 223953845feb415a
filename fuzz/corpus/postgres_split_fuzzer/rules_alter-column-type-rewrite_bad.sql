-- The old types are not known without a connection.
ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2);

ALTER TABLE orders ALTER COLUMN note TYPE text;

ALTER TABLE orders ALTER COLUMN reference TYPE varchar(64);

ALTER TABLE orders ALTER COLUMN code SET DATA TYPE integer USING code::integer;
