-- migrate:phase contract
-- migrate:completes V1
ALTER TABLE users DROP COLUMN nickname;
