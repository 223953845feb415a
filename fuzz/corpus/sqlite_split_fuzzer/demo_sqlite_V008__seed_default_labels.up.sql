-- migrate:class data-backfill
-- Every team gets the default labels bug, feature and chore, and existing
-- tasks whose title starts with "Fix" are tagged as bugs.

INSERT INTO labels (team_id, name, color)
SELECT t.id, d.name, d.color
FROM teams AS t
CROSS JOIN (
    SELECT 'bug' AS name, '#d73a4a' AS color
    UNION ALL SELECT 'feature', '#a2eeef'
    UNION ALL SELECT 'chore', '#cfd3d7'
) AS d
WHERE NOT EXISTS (
    SELECT 1 FROM labels AS l WHERE l.team_id = t.id AND l.name = d.name
)
ORDER BY t.id, d.name;

INSERT INTO task_labels (task_id, label_id)
SELECT tk.id, l.id
FROM tasks AS tk
JOIN projects AS p ON p.id = tk.project_id
JOIN labels AS l ON l.team_id = p.team_id AND l.name = 'bug'
WHERE tk.title LIKE 'Fix %'
  AND NOT EXISTS (
    SELECT 1 FROM task_labels AS tl WHERE tl.task_id = tk.id AND tl.label_id = l.id
  );
