ALTER TABLE users RENAME COLUMN email TO email_address;

ALTER TABLE public.users RENAME login TO username;
