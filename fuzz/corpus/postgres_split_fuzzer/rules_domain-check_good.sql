-- A domain without constraints is only a name for a type.
CREATE DOMAIN amount AS numeric(12, 2);
ALTER DOMAIN postal_code DROP CONSTRAINT postal_code_length;
ALTER DOMAIN amount DROP NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_email_format CHECK (email LIKE '%@%') NOT VALID;
