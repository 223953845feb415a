CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');

ALTER DOMAIN postal_code ADD CONSTRAINT postal_code_length CHECK (length(VALUE) <= 10);

ALTER DOMAIN amount SET NOT NULL;
