-- migrate:class breaking
-- migrate:allow breaking-outside-contract reason "no deployed release reads comments.deleted_at since comments became hard-deleted"
-- Comments are hard-deleted from now on: purge the rows that were only
-- soft-deleted and drop the deleted_at column that marked them.

-- IRREVERSIBLE: the purged comment text is destroyed and cannot be restored,
-- so this migration intentionally has no down file. Rolling back below V009
-- must be refused; migrations after it can still be rolled back to here.
DELETE FROM comments WHERE deleted_at IS NOT NULL;

ALTER TABLE comments DROP COLUMN deleted_at;
