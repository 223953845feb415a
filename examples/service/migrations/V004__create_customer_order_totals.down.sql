-- Undo V004.
DROP VIEW customer_order_totals;
