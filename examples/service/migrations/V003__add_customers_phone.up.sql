-- migrate:class additive
-- Support asked for a phone number to call back; optional, so existing rows and old code are fine.

ALTER TABLE customers ADD COLUMN phone text;
