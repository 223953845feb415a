-- Remove the tasks table created by V005; its three indexes are dropped with it.
DROP TABLE tasks;
