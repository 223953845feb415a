DROP VIEW user_order_totals;
DROP TRIGGER users_touch ON users;
DROP FUNCTION touch_created_at();
DROP SEQUENCE invoice_numbers;
