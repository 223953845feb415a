DROP VIEW sync_status;
