ALTER TABLE orders ADD COLUMN user_id bigint;
