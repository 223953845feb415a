-- migrate:class additive
-- Team-scoped labels that can be attached to tasks (many-to-many through
-- task_labels).

CREATE TABLE labels (
    id      INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    color   TEXT NOT NULL DEFAULT '#808080' CHECK (color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    UNIQUE (team_id, name)
);

CREATE TABLE task_labels (
    task_id  INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    label_id INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, label_id)
) WITHOUT ROWID;

CREATE INDEX idx_task_labels_label ON task_labels (label_id);

-- One hand-made label the platform team already uses.
INSERT INTO labels (id, team_id, name, color) VALUES
    (1, 1, 'customer-escalation', '#b60205');

INSERT INTO task_labels (task_id, label_id) VALUES
    (1, 1),
    (3, 1);
