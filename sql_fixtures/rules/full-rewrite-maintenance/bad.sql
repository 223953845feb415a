VACUUM FULL events;
CLUSTER events USING events_pkey;
ALTER TABLE events SET TABLESPACE fast_ssd;
ALTER TABLE events SET UNLOGGED;
VACUUM (FULL, ANALYZE) page_views;
ALTER INDEX events_pkey SET TABLESPACE fast_ssd;
