CREATE TABLE user_profiles (
  user_id bigint PRIMARY KEY REFERENCES users (id),
  bio text
);
