ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
