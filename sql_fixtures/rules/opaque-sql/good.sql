ALTER TABLE orders ADD COLUMN updated_at timestamptz;
-- Defining a function runs nothing.
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
