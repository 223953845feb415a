-- migrate:phase expand
-- migrate:allow rename-table reason "the view {table} keeps the old name working until the contract"
-- Rename table {table} -> {to}. After this, deploy code that uses {to}; old code keeps using {table}, now an
-- auto-updatable view (INSERT/UPDATE/DELETE/ON CONFLICT/RETURNING work; COPY FROM and TRUNCATE do not).
-- One transaction: the rename and the view commit together (ACCESS EXCLUSIVE on {table}, briefly).
-- security_invoker (PG15+): privileges and row security of {to} are checked for the caller, as before the rename.
-- Omitted columns get {to}'s defaults (identity, serial, DEFAULT now()): the view needs no defaults of its own.
ALTER TABLE {table} RENAME TO {to_name};
CREATE VIEW {table} WITH (security_invoker = true) AS SELECT * FROM {to};
-- @if grants
-- Privileges stay with the table ({to}); the new view needs its own.
GRANT {privileges} ON {table} TO {grants};
-- @endif
