SET lock_timeout = 0;
SET LOCAL lock_timeout = '0s';
SET SESSION lock_timeout TO DEFAULT;
RESET lock_timeout;
SELECT set_config('lock_timeout', '0', true);
RESET ALL;
