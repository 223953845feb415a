-- Reverts the expand; run only while no deployed code uses {to}.
DROP VIEW IF EXISTS {table};
ALTER TABLE {to} RENAME TO {table_name};
