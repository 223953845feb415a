-- migrate:allow nonexistent-rule reason "typo"
CREATE TABLE audit (id bigint);
