-- Remove the label tables created by V007. task_labels goes first because it
-- references labels; idx_task_labels_label is dropped with its table.
DROP TABLE task_labels;
DROP TABLE labels;
