CREATE TABLE orders (
  id bigint PRIMARY KEY,
  user_id bigint,
  CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id)
);
