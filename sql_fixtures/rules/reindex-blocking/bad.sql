REINDEX INDEX idx_orders_customer;
REINDEX TABLE orders;
REINDEX (VERBOSE) SCHEMA sales;
