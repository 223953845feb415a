ALTER TABLE sessions RENAME TO user_sessions;
