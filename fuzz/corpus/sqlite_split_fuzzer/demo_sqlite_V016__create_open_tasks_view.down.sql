-- Remove the dashboard view added by V016.
DROP VIEW v_open_tasks;
