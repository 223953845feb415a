CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id),
  coupon_id bigint,
  total numeric NOT NULL CHECK (total >= 0)
);
ALTER TABLE orders ADD CONSTRAINT orders_coupon_fk
  FOREIGN KEY (coupon_id) REFERENCES coupons (id) NOT VALID;
