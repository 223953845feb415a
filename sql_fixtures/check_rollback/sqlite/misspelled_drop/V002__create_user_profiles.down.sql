DROP TABLE IF EXISTS user_profile;
