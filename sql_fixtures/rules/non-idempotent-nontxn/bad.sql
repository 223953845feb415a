CREATE INDEX CONCURRENTLY idx_orders_customer ON orders (customer_id);
DROP INDEX CONCURRENTLY idx_orders_legacy;
CREATE UNIQUE INDEX CONCURRENTLY orders_number_key ON public.orders USING btree (number);
DROP INDEX CONCURRENTLY public.idx_orders_old;
