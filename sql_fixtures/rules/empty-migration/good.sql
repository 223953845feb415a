-- migrate:class additive
CREATE TABLE orders (id bigint);
