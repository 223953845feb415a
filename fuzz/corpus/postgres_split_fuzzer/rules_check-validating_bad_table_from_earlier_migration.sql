-- setup: setup_messages.sql
ALTER TABLE messages ADD CHECK (sentiment <> '');
