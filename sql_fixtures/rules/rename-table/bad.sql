ALTER TABLE customers RENAME TO clients;

ALTER VIEW active_customers RENAME TO active_clients;

ALTER TABLE billing.invoices SET SCHEMA archive;
