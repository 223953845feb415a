CREATE TABLE reminders (
  id bigint PRIMARY KEY,
  renewal_reminders_by_billing_period int,
  -- exactly 63 bytes: the longest name that is kept whole
  "a_column_whose_name_is_exactly_sixty_three_bytes_long_xxxxxxxxx" text
);
CREATE INDEX CONCURRENTLY idx_reminders_renewal_period ON reminders (renewal_reminders_by_billing_period);
-- Long strings are not identifiers.
COMMENT ON TABLE reminders IS 'Reminders sent to customers before their subscription renews, one row per billing period';
CREATE FUNCTION reminder_label(id bigint) RETURNS text LANGUAGE sql AS $$ SELECT 'reminder number ' || id::text || ' for the customer subscription renewal' $$;
