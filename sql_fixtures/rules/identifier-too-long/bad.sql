CREATE TABLE reminders (
  id bigint PRIMARY KEY,
  customer_subscription_renewal_reminder_notifications_by_billing_period int
);

CREATE INDEX CONCURRENTLY idx_customer_subscription_renewals_by_customer_and_billing_period
  ON reminders (id);

ALTER TABLE reminders ADD CONSTRAINT "Reminders must have a period when the subscription is billed monthly"
  CHECK (id > 0) NOT VALID;
