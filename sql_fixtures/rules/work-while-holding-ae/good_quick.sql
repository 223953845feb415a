-- Only quick work follows the lock, or work on a table nobody else can see yet.
ALTER TABLE orders ADD COLUMN note text;
CREATE TABLE order_notes (id bigint PRIMARY KEY, order_id bigint, note text);
CREATE INDEX idx_order_notes_order ON order_notes (order_id);
INSERT INTO order_notes (id, order_id, note) VALUES (1, 1, 'first');
COMMENT ON COLUMN orders.note IS 'free text';
