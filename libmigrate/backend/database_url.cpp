// Database URLs: which backend, where their secrets are, and how to print text without them.
#include "libmigrate/backend/database_url.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <regex>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/backend/postgres_driver.hpp"
#include "libmigrate/error/failure.hpp"

namespace migrate {

std::unique_ptr<Backend> open_sqlite_backend(const std::string& path,
                                             const BackendOptions& options);

namespace {

bool is_postgres_url(const std::string& url) {
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) return true;
  // libpq key=value form: "host=... dbname=..."
  static const std::regex kv(
      R"(^\s*(host|hostaddr|port|dbname|user|password|service|sslmode)\s*=)");
  return std::regex_search(url, kv);
}

// Locale-independent, as libpq's isspace() in the C locale.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool names_a_password(std::string_view key) {
  constexpr std::string_view kSuffix = "password";
  if (key.size() < kSuffix.size()) return false;
  std::string_view tail = key.substr(key.size() - kSuffix.size());
  for (std::size_t i = 0; i < kSuffix.size(); ++i) {
    char c = tail[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kSuffix[i]) return false;
  }
  return true;
}

// `name=` (letters, digits, underscores, optional blanks before '='), as a libpq keyword starts.
bool looks_like_key(std::string_view s, std::size_t at) {
  if (at >= s.size() || !is_name_start(s[at])) return false;
  std::size_t i = at;
  while (i < s.size() && is_name_char(s[i])) ++i;
  while (i < s.size() && is_space(s[i])) ++i;
  return i < s.size() && s[i] == '=';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// libpq's conninfo_uri_decode(); nullopt where libpq would refuse the token.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
    i += 2;
  }
  return out;
}

bool overlaps(UrlSpan a, UrlSpan b) {
  return a.begin < b.end && b.begin < a.end;
}

// One key=value pair as libpq's conninfo_parse() reads it.
struct KeywordValue {
  UrlSpan key;
  UrlSpan value;          // with the quotes of a quoted value
  std::string unescaped;  // what libpq stores
  bool quoted = false;
};

// A key=value value from `at` as libpq reads it: quoted ('...' with backslash escapes, the span
// with its quotes, to the end when unterminated) or up to the next blank (backslash escapes).
void read_value(std::string_view s, std::size_t at, KeywordValue& kv) {
  const std::size_t n = s.size();
  std::size_t i = at;
  kv.value.begin = i;
  if (i < n && s[i] == '\'') {
    kv.quoted = true;
    ++i;
    while (i < n && s[i] != '\'') {
      if (s[i] == '\\' && i + 1 < n) ++i;
      kv.unescaped += s[i++];
    }
    if (i < n) ++i;  // the closing quote; libpq refuses a value without one
  } else {
    while (i < n && !is_space(s[i])) {
      if (s[i] == '\\' && i + 1 < n) ++i;
      kv.unescaped += s[i++];
    }
  }
  kv.value.end = i;
}

// libpq's conninfo_parse(), including where it gives up: a keyword without '=' is returned with
// an empty value (libpq quotes it in "missing "=" after ..."), and parsing stops.
std::vector<KeywordValue> parse_keyword_values(std::string_view s) {
  std::vector<KeywordValue> out;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    while (i < n && is_space(s[i])) ++i;
    if (i >= n) break;
    KeywordValue kv;
    kv.key.begin = i;
    while (i < n && s[i] != '=' && !is_space(s[i])) ++i;
    kv.key.end = i;
    while (i < n && is_space(s[i])) ++i;
    if (i >= n || s[i] != '=') {
      kv.value = {kv.key.end, kv.key.end};
      out.push_back(std::move(kv));
      break;
    }
    ++i;
    while (i < n && is_space(s[i])) ++i;
    read_value(s, i, kv);
    i = kv.value.end;
    out.push_back(std::move(kv));
  }
  return out;
}

// The components libpq's conninfo_uri_parse_options() cuts out of a URI, in URL bytes: user,
// password (userinfo up to the FIRST '@', and only when no '/' comes before it), hosts and ports
// (IPv6 in brackets), dbname, query keywords and values. Where libpq gives up, the rest of the
// URL is one component.
std::vector<UrlSpan> libpq_uri_components(std::string_view s, std::size_t start) {
  std::vector<UrlSpan> out;
  const std::size_t n = s.size();
  auto at = [&](std::size_t i) { return i < n ? s[i] : '\0'; };
  auto one_of = [](char c, std::string_view set) {
    return c != '\0' && set.find(c) != std::string_view::npos;
  };
  std::size_t p = start;
  std::size_t q = p;
  while (q < n && s[q] != '@' && s[q] != '/') ++q;
  if (at(q) == '@') {
    std::size_t e = start;
    while (s[e] != ':' && s[e] != '@') ++e;
    out.push_back({start, e});
    if (s[e] == ':') out.push_back({e + 1, q});
    p = q + 1;
  }
  char prev = '\0';
  while (true) {
    if (at(p) == '[') {
      std::size_t host = ++p;
      while (p < n && s[p] != ']') ++p;
      out.push_back({host, p});
      if (p >= n) return out;
      ++p;
      if (p < n && !one_of(s[p], ":/?,")) {
        out.push_back({p, n});
        return out;
      }
    } else {
      std::size_t host = p;
      while (p < n && !one_of(s[p], ":/?,")) ++p;
      out.push_back({host, p});
    }
    prev = at(p);
    if (prev == ':') {
      std::size_t port = ++p;
      while (p < n && !one_of(s[p], "/?,")) ++p;
      out.push_back({port, p});
      prev = at(p);
    }
    if (prev != ',') break;
    ++p;
  }
  if (prev != '\0' && prev != '?') {
    std::size_t dbname = ++p;
    while (p < n && s[p] != '?') ++p;
    out.push_back({dbname, p});
    prev = at(p);
  }
  if (prev == '\0') return out;
  ++p;
  while (p < n) {
    std::size_t param = p;
    while (p < n && s[p] != '&') ++p;
    std::string_view text = s.substr(param, p - param);
    std::size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
      out.push_back({param, p});
    } else {
      out.push_back({param, param + eq});
      out.push_back({param + eq + 1, p});
    }
    if (p < n) ++p;
  }
  return out;
}

// Password values among the query parameters from `query` (just after '?') to the end. A value
// runs to the next `&name=`, so a password with an unencoded '&' is taken whole.
void find_query_passwords(std::string_view s, std::size_t query, std::vector<UrlSpan>& out) {
  const std::size_t n = s.size();
  std::size_t p = query;
  while (p < n) {
    std::size_t param = p;
    while (p < n && s[p] != '&' && s[p] != '=') ++p;
    std::string_view key = s.substr(param, p - param);
    if (p < n && s[p] == '=') {
      std::size_t value = ++p;
      bool secret =
          names_a_password(key) || names_a_password(percent_decode(key).value_or(std::string(key)));
      while (p < n && !(s[p] == '&' && (!secret || looks_like_key(s, p + 1)))) ++p;
      if (secret && p > value) out.push_back({value, p});
    }
    if (p < n && s[p] == '&') ++p;
    // A key without '=' ends at its '&'; nothing to hide.
  }
}

std::size_t uri_scheme_length(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return 0;
  std::size_t i = 1;
  while (i < s.size() && (is_name_char(s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-') &&
         s[i] != '_')
    ++i;
  return s.substr(i).starts_with("://") ? i + 3 : 0;
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (value.empty()) return;
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

void add_raw_and_decoded(std::vector<std::string>& list, std::string_view raw) {
  add_unique(list, std::string(raw));
  if (auto decoded = percent_decode(raw)) add_unique(list, std::move(*decoded));
}

std::string_view text_of(std::string_view s, UrlSpan span) {
  return s.substr(span.begin, span.end - span.begin);
}

}  // namespace

DatabaseUrlSecrets find_url_secrets(std::string_view url) {
  DatabaseUrlSecrets found;
  if (std::size_t start = uri_scheme_length(url); start > 0) {
    found.form = DatabaseUrlForm::kUri;
    std::size_t host = start;
    if (std::size_t last_at = url.rfind('@');
        last_at != std::string_view::npos && last_at >= start) {
      std::size_t colon = url.find(':', start);
      if (colon < last_at && colon + 1 < last_at) found.passwords.push_back({colon + 1, last_at});
      host = last_at + 1;
    }
    if (std::size_t query = url.find('?', host); query != std::string_view::npos)
      find_query_passwords(url, query + 1, found.passwords);
    for (const UrlSpan& span : found.passwords)
      add_raw_and_decoded(found.secrets, text_of(url, span));
    for (const UrlSpan& component : libpq_uri_components(url, start)) {
      if (component.end <= component.begin) continue;
      for (const UrlSpan& span : found.passwords)
        if (overlaps(component, span)) add_raw_and_decoded(found.secrets, text_of(url, component));
    }
    return found;
  }
  if (url.starts_with("sqlite:")) {
    found.form = DatabaseUrlForm::kSqlite;
    if (std::size_t query = url.find('?'); query != std::string_view::npos)
      find_query_passwords(url, query + 1, found.passwords);
    for (const UrlSpan& span : found.passwords)
      add_raw_and_decoded(found.secrets, text_of(url, span));
    return found;
  }
  found.form = DatabaseUrlForm::kKeywordValue;
  // Every word that starts like `...password=` is taken as a password key, even where libpq
  // reads it as part of the value before it ("user= password=pw" gives user "password=pw",
  // which libpq then quotes in "password authentication failed for user ...").
  for (std::size_t at = 0; at < url.size(); ++at) {
    if ((at > 0 && !is_space(url[at - 1])) || !looks_like_key(url, at)) continue;
    std::size_t key_end = at;
    while (key_end < url.size() && is_name_char(url[key_end])) ++key_end;
    if (!names_a_password(url.substr(at, key_end - at))) continue;
    std::size_t value = url.find('=', key_end) + 1;
    while (value < url.size() && is_space(url[value])) ++value;
    if (value >= url.size()) break;
    KeywordValue kv;
    read_value(url, value, kv);
    UrlSpan span = kv.value;
    if (!kv.quoted) {
      // libpq stops an unquoted value at a blank and then fails on the next word; the user most
      // likely meant the words up to the next `name=` as the password.
      std::size_t i = span.end;
      while (true) {
        while (i < url.size() && is_space(url[i])) ++i;
        if (i >= url.size() || looks_like_key(url, i)) break;
        while (i < url.size() && !is_space(url[i])) {
          if (url[i] == '\\' && i + 1 < url.size()) ++i;
          ++i;
        }
        span.end = i;
      }
    }
    if (span.end <= span.begin) continue;
    if (!found.passwords.empty() && span.begin < found.passwords.back().end) continue;
    found.passwords.push_back(span);
    add_unique(found.secrets, std::string(text_of(url, span)));
    add_unique(found.secrets, kv.unescaped);
    at = span.end - 1;
  }
  for (const KeywordValue& kv : parse_keyword_values(url)) {
    for (const UrlSpan& component : {kv.key, kv.value}) {
      if (component.end <= component.begin) continue;
      for (const UrlSpan& span : found.passwords)
        if (overlaps(component, span))
          add_unique(found.secrets, std::string(text_of(url, component)));
    }
    for (const UrlSpan& span : found.passwords)
      if (overlaps(kv.value, span)) add_unique(found.secrets, kv.unescaped);
  }
  return found;
}

std::string redact_url(const std::string& url) {
  std::string out;
  std::size_t from = 0;
  for (const UrlSpan& span : find_url_secrets(url).passwords) {
    out.append(url, from, span.begin - from);
    out += "****";
    from = span.end;
  }
  out.append(url, from, std::string::npos);
  return out;
}

namespace {

constexpr std::size_t kShortSecret = 3;

// A mask sharing no character with any secret, so that masking cannot make a secret appear
// across the mask's edge; empty when every candidate does (then the loop below shrinks the text).
std::string_view choose_mask(const std::vector<std::string>& secrets) {
  for (std::string_view mask : {"****", "[redacted]", "<hidden>", "~~~~", "^^^^"}) {
    bool clashes = std::any_of(secrets.begin(), secrets.end(), [&](const std::string& s) {
      return s.find_first_of(mask) != std::string::npos;
    });
    if (!clashes) return mask;
  }
  return {};
}

bool quoted_at(std::string_view text, std::size_t pos, std::size_t len) {
  if (pos == 0 || pos + len >= text.size()) return false;
  char open = text[pos - 1];
  return (open == '"' || open == '\'') && text[pos + len] == open;
}

// One pass: every byte inside an occurrence of a secret is covered; each run of covered bytes
// becomes one mask. Returns false when nothing was covered.
bool mask_pass(std::string& text, const std::vector<std::string>& secrets, std::string_view mask) {
  std::vector<bool> covered(text.size(), false);
  bool any = false;
  for (const std::string& s : secrets) {
    for (std::size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 1)) {
      if (s.size() < kShortSecret && !quoted_at(text, pos, s.size())) continue;
      std::fill(covered.begin() + static_cast<std::ptrdiff_t>(pos),
                covered.begin() + static_cast<std::ptrdiff_t>(pos + s.size()), true);
      any = true;
    }
  }
  if (!any) return false;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (!covered[i]) {
      out += text[i++];
      continue;
    }
    out += mask;
    while (i < text.size() && covered[i]) ++i;
  }
  text = std::move(out);
  return true;
}

}  // namespace

std::string redact_secrets(std::string_view text, std::string_view url) {
  std::string out(text);
  if (!url.empty()) {
    std::string redacted = redact_url(std::string(url));
    // A redacted form containing the URL (a password of '*'s) would grow on every call.
    if (redacted != url && redacted.find(url) == std::string::npos) {
      std::string replaced;
      std::size_t from = 0;
      for (std::size_t pos = out.find(url); pos != std::string::npos; pos = out.find(url, from)) {
        replaced.append(out, from, pos - from);
        replaced += redacted;
        from = pos + url.size();
      }
      replaced.append(out, from, std::string::npos);
      out = std::move(replaced);
    }
  }
  std::vector<std::string> secrets = find_url_secrets(url).secrets;
  if (secrets.empty()) return out;
  // Longest first only matters for readability: coverage is computed over all secrets at once.
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  const std::string_view mask = choose_mask(secrets);
  // With a disjoint mask one pass leaves no secret; with the empty mask each pass removes
  // bytes, so the loop ends either way.
  while (mask_pass(out, secrets, mask)) {
  }
  return out;
}

void Backend::copy_database_to(const std::string& file) {
  fail(ErrorCode::kBackupFailed,
       fmt::format("this database cannot be copied into {} by its connection", file),
       "PostgreSQL databases are backed up through pg_dump");
}

std::unique_ptr<Backend> open_backend(const std::string& url, const BackendOptions& options) {
  if (url.empty()) {
    // No environment is read here (the library reads only its Options); the CLI adds which of
    // libpq's PG* variables are set to this hint.
    fail(ErrorCode::kUsage, "no database URL given",
         "pass --db sqlite:app.db for SQLite or --db postgresql://USER@HOST/DBNAME for PostgreSQL "
         "(or set MIGRATE_DATABASE_URL, DATABASE_URL, or database_url in migrate.toml); libpq's "
         "PG* variables alone name no database: pass --db postgresql:// to connect with them");
  }
  if (url.starts_with("sqlite:")) {
    std::string path = url.substr(7);
    if (path.starts_with("//")) path = path.substr(2);  // sqlite://rel.db, sqlite:///abs.db
    if (path.empty()) {
      fail(ErrorCode::kUsage, fmt::format("database URL '{}' names no file", url),
           "write sqlite:PATH or sqlite::memory:");
    }
    return open_sqlite_backend(path, options);
  }
  if (is_postgres_url(url)) return postgres_driver().open_backend(url, options);
  fail(ErrorCode::kUnsupportedDatabase,
       fmt::format("unrecognised database URL '{}'", redact_url(url)),
       "use sqlite:PATH, sqlite::memory:, or a postgres:// URL");
}

}  // namespace migrate
