// Database URLs: which backend, and how to print one without its password.
#include <fmt/format.h>

#include <regex>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/error/failure.hpp"

namespace migrate {

std::unique_ptr<Backend> open_sqlite_backend(const std::string& path,
                                             const BackendOptions& options);
std::unique_ptr<Backend> open_postgres_backend(const std::string& url,
                                               const BackendOptions& options);

namespace {

bool is_postgres_url(const std::string& url) {
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) return true;
  // libpq key=value form: "host=... dbname=..."
  static const std::regex kv(
      R"(^\s*(host|hostaddr|port|dbname|user|password|service|sslmode)\s*=)");
  return std::regex_search(url, kv);
}

}  // namespace

std::string redact_url(const std::string& url) {
  // scheme://user:password@host -> scheme://user:****@host
  static const std::regex userinfo(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@?#]*):[^@/?#]*@)");
  std::string out = std::regex_replace(url, userinfo, "$1:****@");
  // password=... in key=value strings and in query parameters
  static const std::regex kv(R"((^|[\s?&])password\s*=\s*('([^'\\]|\\.)*'|[^\s&]*))");
  return std::regex_replace(out, kv, "$1password=****");
}

std::unique_ptr<Backend> open_backend(const std::string& url, const BackendOptions& options) {
  if (url.empty()) {
    fail(ErrorCode::kUsage, "no database URL given",
         "pass --db sqlite:app.db (or set MIGRATE_DATABASE_URL, DATABASE_URL, or database_url in "
         "migrate.toml)");
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
  if (is_postgres_url(url)) return open_postgres_backend(url, options);
  fail(ErrorCode::kUnsupportedDatabase,
       fmt::format("unrecognised database URL '{}'", redact_url(url)),
       "use sqlite:PATH, sqlite::memory:, or a postgres:// URL");
}

}  // namespace migrate
