-- Undo V002: the index goes with the table.
DROP TABLE orders;
