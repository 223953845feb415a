-- Brings the old name back as a view, for old code.
CREATE VIEW {table} WITH (security_invoker = true) AS SELECT * FROM {to};
-- @if grants
GRANT {privileges} ON {table} TO {grants};
-- @endif
