DO $$
BEGIN
  EXECUTE 'ALTER TABLE orders ADD COLUMN note text';
END
$$;

CALL archive_old_orders(30);

PREPARE cleanup AS DELETE FROM sessions WHERE expires_at < now();
EXECUTE cleanup;
