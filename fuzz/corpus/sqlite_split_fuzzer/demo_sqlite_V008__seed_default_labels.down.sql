-- Reverse the V008 seed: detach and delete the default labels (bug, feature,
-- chore). The tool runs with foreign keys off, so ON DELETE CASCADE does not
-- fire here and the task_labels rows have to be removed explicitly first.
DELETE FROM task_labels
WHERE label_id IN (SELECT id FROM labels WHERE name IN ('bug', 'feature', 'chore'));

DELETE FROM labels WHERE name IN ('bug', 'feature', 'chore');
