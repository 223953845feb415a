-- migrate:transaction off
CREATE TABLE audit (id bigint);
CREATE SCHEMA reporting;
CREATE SEQUENCE audit_seq;
CREATE EXTENSION pg_trgm;
CREATE INDEX audit_id_idx ON audit (id);
CREATE INDEX ON audit (id);
CREATE VIEW audit_view AS SELECT id FROM audit;
CREATE MATERIALIZED VIEW audit_mv AS SELECT id FROM audit;
CREATE TABLE audit_copy AS SELECT id FROM audit;
CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';
ALTER TABLE orders ADD COLUMN note text, DROP COLUMN legacy, DROP CONSTRAINT orders_chk;
DROP TABLE old_orders;
DROP VIEW v1, v2;
ALTER TYPE order_status ADD VALUE 'archived';
CREATE STATISTICS orders_stats ON a, b FROM orders;
DROP SCHEMA legacy CASCADE;
