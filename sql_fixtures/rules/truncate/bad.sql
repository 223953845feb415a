TRUNCATE sessions;

TRUNCATE TABLE accounts, ledger_entries CASCADE;
