ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();

ALTER TABLE orders
  ADD COLUMN settled_at timestamptz NOT NULL DEFAULT clock_timestamp();

ALTER TABLE public.orders ADD COLUMN legacy_id bigint
  DEFAULT nextval('orders_legacy_id_seq'::regclass),
  ADD COLUMN shard int DEFAULT (random() * 16)::int;
