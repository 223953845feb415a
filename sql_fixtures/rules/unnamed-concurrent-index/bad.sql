CREATE INDEX CONCURRENTLY ON orders (created_at);
CREATE UNIQUE INDEX CONCURRENTLY ON app.orders (lower(email));
