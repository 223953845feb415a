-- migrate:backfill batch-size=500
UPDATE products SET description = NULL WHERE description = 'About ' || name;
