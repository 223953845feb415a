SELECT verify_migration_success();
