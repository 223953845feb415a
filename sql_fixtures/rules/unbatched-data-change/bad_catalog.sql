-- Above 100000 rows a whole-table change is an error; with a WHERE clause its reach is unknown.
UPDATE big_orders SET status = 'new';
DELETE FROM big_orders WHERE status = 'cancelled';
UPDATE mid_orders SET status = 'new';
-- Below the small-table size (10000 rows) it is only info.
UPDATE tiny SET code = upper(code);
