SET LOCAL statement_timeout = '10min';
SET statement_timeout = 30000;
SET lock_timeout = 0;
