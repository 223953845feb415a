CREATE TABLE orders (id bigint PRIMARY KEY, note text);
ALTER TABLE customers ADD COLUMN tier text;
