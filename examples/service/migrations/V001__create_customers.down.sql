-- Undo V001: the unique index goes with the table.
DROP TABLE customers;
