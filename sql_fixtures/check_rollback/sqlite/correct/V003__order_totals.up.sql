CREATE VIEW user_order_totals AS
  SELECT u.id, u.email, coalesce(sum(o.total), 0) AS total
  FROM users u LEFT JOIN orders o ON o.user_id = u.id
  GROUP BY u.id, u.email;
CREATE TRIGGER users_lowercase_email AFTER INSERT ON users
BEGIN
  UPDATE users SET email = lower(NEW.email) WHERE id = NEW.id;
END;
