// Where the secrets of a database URL are, and how to keep them out of every text that is
// printed, logged, written as JSON or stored in the history. Pure functions over bytes, with no
// I/O and no exceptions for any input, so a fuzz target can drive them directly.
//
// Three forms are understood, as libpq and open_backend() accept them:
// - URIs `scheme://[user[:password]@]host[:port][,host[:port]...][/dbname][?key=value&...]`
//   (postgres://, postgresql://; any other scheme is read the same way for redaction);
// - `sqlite:PATH[?key=value&...]`;
// - anything else as libpq key=value: `host=h password=secret`, `password='a \' b'`.
//
// libpq reads a URI's userinfo up to the FIRST '@' (or stops at a '/'), so an unencoded '@' or
// '/' in a password makes libpq split the password into a host, port or database name that its
// error messages then quote. Redaction reads the userinfo up to the LAST '@' instead, and also
// treats every piece libpq would carve out of a password as a secret.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/database_url.hpp"

namespace migrate {

enum class DatabaseUrlForm { kUri, kSqlite, kKeywordValue };

// Bytes [begin, end) of a URL.
struct UrlSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
};

struct DatabaseUrlSecrets {
  DatabaseUrlForm form = DatabaseUrlForm::kKeywordValue;
  // The passwords as the user meant them, sorted and disjoint, none empty:
  // - a URI's userinfo password: after the first ':' up to the last '@' of the whole URL (an
  //   '@' in a query value therefore hides more than needed; a password with an unencoded '@',
  //   '/', '?' or '#' is hidden whole);
  // - the value of every key whose name ends in "password" (password, sslpassword; any case)
  //   in a URI or SQLite query, up to the next `&name=` (so an unencoded '&' stays inside), and
  //   in key=value form, the quoted value with its quotes, or the unquoted value together with
  //   the following words that do not look like `name=` (`password=two words host=h`).
  std::vector<UrlSpan> passwords;
  // Every text that must never be printed, without duplicates: each password span raw,
  // percent-decoded (URI and SQLite) or unescaped (key=value), and each component libpq's own
  // parser would cut out of the URL overlapping a password (user, password, host, port,
  // dbname, query keyword or value; key=value keyword or value), raw and decoded. May hold
  // strings of one or two bytes, which redact_secrets() treats specially.
  std::vector<std::string> secrets;
};

DatabaseUrlSecrets find_url_secrets(std::string_view url);

// `text` with the secrets of `url` removed:
// - each occurrence of `url` itself is replaced by redact_url(url);
// - each occurrence of a secret of 3 or more bytes is replaced by a mask ("****", or another
//   mask when a secret shares a character with it);
// - a secret of 1 or 2 bytes is masked only where it stands alone in double or single quotes,
//   the way libpq quotes the values it complains about (`invalid port number: "pw"`), so that
//   a short password does not blank out every word containing it.
// Invariants, for every text and url (tests/unit/database_url_test.cpp, the fuzz target):
// - the result contains no secret of `url` of 3 or more bytes;
// - a text in which neither `url` nor any secret occurs is returned unchanged;
// - redact_secrets(redact_secrets(t, u), u) == redact_secrets(t, u);
// - never throws (other than std::bad_alloc) and always terminates.
std::string redact_secrets(std::string_view text, std::string_view url);

}  // namespace migrate
