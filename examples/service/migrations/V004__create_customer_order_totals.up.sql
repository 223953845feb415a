-- migrate:class additive
-- The dashboard shows order counts and spend per customer without repeating the aggregate.

CREATE VIEW customer_order_totals AS
SELECT customer_id, count(*) AS order_count, sum(total_cents) AS total_cents
FROM orders
GROUP BY customer_id;
