-- Remove the audit_log table created by V011; its index is dropped with it.
DROP TABLE audit_log;
