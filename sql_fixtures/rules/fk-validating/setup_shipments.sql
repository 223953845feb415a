CREATE TABLE shipments (id bigint PRIMARY KEY, order_id bigint NOT NULL);
