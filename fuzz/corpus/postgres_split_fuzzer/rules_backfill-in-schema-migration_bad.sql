UPDATE orders SET status = 'new';

DELETE FROM sessions;

INSERT INTO orders_archive (id, total)
  SELECT id, total FROM orders WHERE created_at < '2020-01-01';
