-- migrate:class backward-compatible
-- A read-only view for the "open work" dashboard, so reports stop repeating
-- the same three-table join. Nothing existing reads or writes through it.

CREATE VIEW v_open_tasks AS
SELECT
    t.id           AS task_id,
    p.team_id      AS team_id,
    p.name         AS project_name,
    t.title        AS title,
    t.status       AS status,
    u.display_name AS assignee_name,
    t.created_at   AS created_at
FROM tasks AS t
JOIN projects AS p ON p.id = t.project_id
LEFT JOIN users AS u ON u.id = t.assignee_id
WHERE t.status <> 'done'
  AND p.archived = 0;
