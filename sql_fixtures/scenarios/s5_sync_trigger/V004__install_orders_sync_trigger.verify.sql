-- The runbook's verification, through the status view: counts match and nothing is missing.
SELECT source_rows, synced_rows, missing_rows FROM sync_status
WHERE missing_rows > 0 OR source_rows <> synced_rows;
-- And the trigger is installed and enabled.
SELECT count(*) = 1 FROM pg_trigger
WHERE tgname = 'orders_sync' AND tgrelid = 'orders'::regclass AND tgenabled <> 'D';
