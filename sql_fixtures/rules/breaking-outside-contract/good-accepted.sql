-- migrate:allow drop-column reason "no deployed version reads nickname since release 2.4"
ALTER TABLE users DROP COLUMN nickname;
