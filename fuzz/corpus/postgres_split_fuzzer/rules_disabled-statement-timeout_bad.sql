SET statement_timeout = 0;
SET LOCAL statement_timeout = '0ms';
SET statement_timeout TO DEFAULT;
RESET statement_timeout;
SELECT pg_catalog.set_config('statement_timeout', '0', false);
