ALTER TABLE orders DROP COLUMN user_id;
