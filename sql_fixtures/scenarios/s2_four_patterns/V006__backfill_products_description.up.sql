-- migrate:class data-backfill
-- migrate:backfill batch-size=500
-- Pattern 3, data migration: every product gets a description, in batches of short transactions.
UPDATE products SET description = 'About ' || name WHERE description IS NULL;
