-- The outbox the sync trigger writes to: a replicator ships its rows to the other database.
CREATE TABLE orders_sync (
  order_id bigint PRIMARY KEY,
  customer text NOT NULL,
  total numeric(12, 2) NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now()
);
