ALTER TABLE orders ADD COLUMN note text;
CREATE INDEX idx_orders_note ON public.orders (note);
CREATE VIEW public.order_notes AS SELECT id, note FROM orders;
DROP TABLE legacy_orders;
