-- Remove the users table created by V001 (its seed rows go with it).
DROP TABLE users;
