-- A table created in this migration is empty and unseen.
CREATE TABLE bookings_v2 (
  room_id bigint NOT NULL,
  during tstzrange NOT NULL,
  EXCLUDE USING gist (room_id WITH =, during WITH &&)
);
CREATE TABLE reservations (room_id bigint NOT NULL, during tstzrange NOT NULL);
ALTER TABLE reservations ADD CONSTRAINT reservations_no_overlap
  EXCLUDE USING gist (room_id WITH =, during WITH &&);
