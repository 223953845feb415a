CREATE TABLE messages (id bigint PRIMARY KEY, sentiment text);
