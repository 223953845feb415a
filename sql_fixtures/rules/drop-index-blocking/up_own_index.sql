CREATE TABLE archive (id bigint PRIMARY KEY, label text);
CREATE INDEX archive_label ON archive (label);
CREATE INDEX invoices_note ON invoices (note);
