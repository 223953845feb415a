-- Remove the projects table created by V004.
DROP TABLE projects;
