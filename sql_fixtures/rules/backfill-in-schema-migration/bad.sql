INSERT INTO orders_archive (id, total)
  SELECT id, total FROM orders WHERE created_at < '2020-01-01';

INSERT INTO orders_archive SELECT * FROM orders UNION ALL SELECT * FROM old_orders;
