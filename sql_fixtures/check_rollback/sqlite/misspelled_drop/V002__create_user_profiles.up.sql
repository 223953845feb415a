CREATE TABLE user_profiles (
  user_id INTEGER PRIMARY KEY REFERENCES users (id),
  bio TEXT
);
