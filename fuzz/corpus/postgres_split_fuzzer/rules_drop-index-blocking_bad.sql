DROP INDEX idx_orders_customer;

DROP INDEX IF EXISTS public.idx_orders_status, idx_orders_region CASCADE;
