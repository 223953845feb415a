-- NOT VALID checks new rows only; VALIDATE CONSTRAINT follows in a later migration.
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
  FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;

-- A new column without a default is NULL in every row: PostgreSQL skips the check.
ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);

-- A table created in this migration is empty and unseen.
CREATE TABLE invoices (id bigint PRIMARY KEY, order_id bigint NOT NULL);
ALTER TABLE invoices ADD CONSTRAINT invoices_order_id_fkey
  FOREIGN KEY (order_id) REFERENCES orders (id);
