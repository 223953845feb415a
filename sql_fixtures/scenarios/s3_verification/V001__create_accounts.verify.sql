-- The table exists with its key, and the function answers.
SELECT to_regclass('accounts') IS NOT NULL;
SELECT verify_migration_success();
