ALTER TABLE public.orders ADD COLUMN note text;
CREATE INDEX idx_orders_note ON public.orders (note);
-- Data changes are not DDL; temporary tables live in pg_temp.
UPDATE orders SET note = '' WHERE id = 1;
CREATE TEMPORARY TABLE tmp_ids (id bigint);
SET search_path = public;
