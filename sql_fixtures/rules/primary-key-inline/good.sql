CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;

-- A table created in this migration is empty and unseen.
CREATE TABLE tags (id bigint NOT NULL, name text NOT NULL);
ALTER TABLE tags ADD PRIMARY KEY (id);
