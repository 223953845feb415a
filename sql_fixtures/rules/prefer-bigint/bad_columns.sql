-- Not only keys: every new integer or smallint column, once per column.
CREATE TABLE order_tags (order_id integer, tag_id int4, PRIMARY KEY (order_id, tag_id));
CREATE TABLE line_items (id bigint PRIMARY KEY, quantity int NOT NULL, pos smallint, n INT2);
ALTER TABLE line_items ADD COLUMN discount integer, ADD COLUMN IF NOT EXISTS counter serial;
CREATE TABLE tags (id integer NOT NULL, name text NOT NULL);
