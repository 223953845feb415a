-- The sync trigger: every order written is copied into the outbox in the same transaction.
CREATE FUNCTION orders_sync_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO orders_sync (order_id, customer, total)
  VALUES (NEW.id, NEW.customer, NEW.total)
  ON CONFLICT (order_id) DO UPDATE SET customer = EXCLUDED.customer, total = EXCLUDED.total,
    synced_at = now();
  RETURN NEW;
END;
$$;

CREATE TRIGGER orders_sync AFTER INSERT OR UPDATE ON orders
FOR EACH ROW EXECUTE FUNCTION orders_sync_row();

-- Orders written before the trigger existed (or while it was rolled back) get their outbox row
-- now, so the status view can show nothing missing.
INSERT INTO orders_sync (order_id, customer, total)
SELECT id, customer, total FROM orders
ON CONFLICT (order_id) DO NOTHING;
