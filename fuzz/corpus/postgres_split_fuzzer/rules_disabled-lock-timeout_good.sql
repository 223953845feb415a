SET LOCAL lock_timeout = '2s';
SET lock_timeout = 500;
SET statement_timeout = 0;
SELECT set_config('application_name', 'migration', true);
