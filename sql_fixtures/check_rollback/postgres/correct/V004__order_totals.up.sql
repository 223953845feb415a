CREATE SEQUENCE invoice_numbers START 1000;
CREATE FUNCTION touch_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch_created_at();
CREATE VIEW user_order_totals AS
  SELECT u.id, u.email, coalesce(sum(o.total), 0) AS total
  FROM users u LEFT JOIN orders o ON o.user_id = u.id
  GROUP BY u.id, u.email;
