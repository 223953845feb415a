-- migrate:class backward-compatible
-- Record task status changes and deletions in audit_log automatically. Old
-- code keeps working unchanged; the triggers only add rows to audit_log.

CREATE TRIGGER tasks_audit_status
AFTER UPDATE OF status ON tasks
WHEN NEW.status IS NOT OLD.status
BEGIN
    INSERT INTO audit_log (entity_type, entity_id, action, detail)
    VALUES ('task', NEW.id, 'status_changed', 'from=' || OLD.status || '; to=' || NEW.status);
END;

CREATE TRIGGER tasks_audit_delete
AFTER DELETE ON tasks
BEGIN
    INSERT INTO audit_log (entity_type, entity_id, action, detail)
    VALUES ('task', OLD.id, 'deleted', 'title=' || OLD.title || ' -- removed; comments cascade');
END;
