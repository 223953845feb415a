-- migrate:class additive
-- migrate:allow create-index-blocking reason "copied from another migration"
CREATE TABLE audit (id bigint);
