-- Remove the comments table created by V006; its index is dropped with it.
DROP TABLE comments;
