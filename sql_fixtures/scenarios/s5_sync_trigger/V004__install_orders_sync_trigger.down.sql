DROP TRIGGER orders_sync ON orders;
DROP FUNCTION orders_sync_row();
