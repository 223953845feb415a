-- The primary key starts with the foreign key's column.
CREATE TABLE order_items (
  order_id bigint NOT NULL REFERENCES orders (id),
  line int NOT NULL,
  PRIMARY KEY (order_id, line)
);

-- The index comes first, as the safe order has it.
CREATE INDEX CONCURRENTLY payments_order_id_idx ON payments (order_id, created_at);
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey
  FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;

-- Any order of the leading columns serves an equality lookup on all of them.
CREATE UNIQUE INDEX CONCURRENTLY shipments_key ON shipments (warehouse_id, order_id);
ALTER TABLE shipments ADD FOREIGN KEY (order_id, warehouse_id)
  REFERENCES stock (order_id, warehouse_id) NOT VALID;
