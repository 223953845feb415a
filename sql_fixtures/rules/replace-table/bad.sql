DROP TABLE IF EXISTS audit_log;
CREATE TABLE audit_log (id bigint PRIMARY KEY, entry text);

DROP TABLE public.daily_totals;
CREATE TABLE daily_totals AS SELECT sold_at::date AS day, sum(amount) AS total FROM sales GROUP BY 1;
