-- setup: customers.sql
DROP TABLE customers;
