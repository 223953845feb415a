-- setup: setup_tags.sql
ALTER TABLE tags ADD CONSTRAINT tags_pkey PRIMARY KEY (id);
