-- Doubled quotes split a long quoted identifier into short pieces between quotes.
ALTER TABLE t ADD CONSTRAINT "a ""quoted"" name with ""doubled"" quotes ""that"" goes past ""63"" bytes"
  CHECK (id > 0) NOT VALID;

-- Only short identifiers: nothing to find.
CREATE TABLE short_names (id bigint PRIMARY KEY, "b" int);

CREATE TABLE "ünïcödé_ñämé_thät_ïs_lönger_thän_sïxty_thrëë_bytës" (id bigint PRIMARY KEY);
