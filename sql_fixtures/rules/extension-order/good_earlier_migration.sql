-- setup: setup_cube.sql
CREATE EXTENSION IF NOT EXISTS earthdistance;
