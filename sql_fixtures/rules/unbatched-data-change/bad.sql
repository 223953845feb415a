UPDATE orders SET status = 'new';

DELETE FROM sessions WHERE expires_at < now();

UPDATE orders o SET total = c.total FROM carts c WHERE c.order_id = o.id;

MERGE INTO orders o USING carts c ON c.order_id = o.id
  WHEN MATCHED THEN UPDATE SET total = c.total;

WITH gone AS (SELECT id FROM sessions WHERE expires_at < now())
DELETE FROM sessions s USING gone WHERE s.id = gone.id;

UPDATE public.orders SET status = 'new' WHERE id > 10;
