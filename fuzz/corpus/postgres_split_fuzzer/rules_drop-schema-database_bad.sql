DROP SCHEMA reporting CASCADE;

ALTER SCHEMA billing RENAME TO finance;

DROP DATABASE legacy_app;
