DROP FUNCTION verify_migration_success();
DROP TABLE accounts;
