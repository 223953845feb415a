ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
  FOREIGN KEY (customer_id) REFERENCES customers (id);

-- A new column with a default is checked row by row, like ADD FOREIGN KEY.
ALTER TABLE orders ADD COLUMN warehouse_id bigint DEFAULT 1 REFERENCES warehouses (id);
