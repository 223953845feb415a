-- The runbook's checks: security on, exactly the one policy, and the views still refreshable.
SELECT relrowsecurity FROM pg_class WHERE oid = 'accounts'::regclass;
SELECT count(*) AS policies FROM pg_policies WHERE tablename = 'accounts' HAVING count(*) <> 1;
SELECT verify_migration_success();
