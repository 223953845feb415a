DROP TABLE orders_sync;
