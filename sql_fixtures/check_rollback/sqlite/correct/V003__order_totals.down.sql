DROP TRIGGER users_lowercase_email;
DROP VIEW user_order_totals;
