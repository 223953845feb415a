ALTER TABLE orders ADD COLUMN region text NOT NULL;

ALTER TABLE orders ADD COLUMN currency char(3) NOT NULL DEFAULT NULL;

ALTER TABLE order_lines ADD COLUMN line_key uuid PRIMARY KEY;
