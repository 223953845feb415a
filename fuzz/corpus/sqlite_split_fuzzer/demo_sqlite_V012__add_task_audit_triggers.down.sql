-- Remove the audit triggers added by V012. Rows they already wrote to
-- audit_log are history and are kept.
DROP TRIGGER tasks_audit_delete;
DROP TRIGGER tasks_audit_status;
