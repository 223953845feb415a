CREATE TYPE mood AS ENUM ('happy', 'sad', 'neutral');
ALTER TABLE users ADD COLUMN mood mood;
