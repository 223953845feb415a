-- Remove the teams table created by V002.
DROP TABLE teams;
