DROP TABLE customers;
DROP TABLE invoices;
