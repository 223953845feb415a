-- migrate:phase contract
ALTER TABLE users DROP COLUMN nickname;
