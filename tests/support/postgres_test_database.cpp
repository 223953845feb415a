#include "support/postgres_test_database.hpp"

#include <unistd.h>

#include <cstdlib>
#include <pqxx/pqxx>
#include <random>
#include <regex>

namespace migrate::testing {

bool postgres_required() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

namespace {

// The server: MIGRATE_TEST_PG_URL, or libpq's defaults from PGHOST/PGPORT/PGUSER/PGPASSWORD.
std::string admin_url() {
  if (const char* url = std::getenv("MIGRATE_TEST_PG_URL")) return url;
  std::string out = "dbname=postgres";
  if (!std::getenv("PGHOST") && !std::getenv("PGPORT")) return "";  // no server configured
  return out;
}

std::string with_dbname(const std::string& base, const std::string& db) {
  if (base.find("://") != std::string::npos) {
    // postgres://user:pw@host:port/dbname?params -> replace the path
    auto scheme_end = base.find("://") + 3;
    auto slash = base.find('/', scheme_end);
    auto query = base.find('?', scheme_end);
    std::string head = base.substr(
        0, slash == std::string::npos ? (query == std::string::npos ? base.size() : query) : slash);
    std::string tail = query == std::string::npos ? "" : base.substr(query);
    return head + "/" + db + tail;
  }
  // key=value form: replace the dbname keyword (libpq would take the last one, but be explicit).
  static const std::regex dbname(R"(dbname\s*=\s*\S+)");
  if (std::regex_search(base, dbname)) return std::regex_replace(base, dbname, "dbname=" + db);
  return base + " dbname=" + db;
}

}  // namespace

std::unique_ptr<PostgresTestDatabase> PostgresTestDatabase::create(std::string& why) {
  std::string admin = admin_url();
  if (admin.empty()) {
    why =
        "no PostgreSQL server configured (set MIGRATE_TEST_PG_URL or PGHOST/PGPORT; "
        "scripts/test.sh "
        "starts one with pg_virtualenv)";
    return nullptr;
  }
  std::string name = "migrate_test_" + std::to_string(getpid()) + "_" +
                     std::to_string(std::random_device{}() % 1000000);
  try {
    pqxx::connection c(admin);
    pqxx::nontransaction q(c);
    q.exec("CREATE DATABASE " + q.quote_name(name));
  } catch (const std::exception& e) {
    why = std::string("PostgreSQL not reachable: ") + e.what();
    return nullptr;
  }
  return std::unique_ptr<PostgresTestDatabase>(
      new PostgresTestDatabase(admin, with_dbname(admin, name), name));
}

PostgresTestDatabase::PostgresTestDatabase(std::string admin_url, std::string url, std::string name)
    : admin_url_(std::move(admin_url)), url_(std::move(url)), name_(std::move(name)) {}

PostgresTestDatabase::~PostgresTestDatabase() {
  try {
    pqxx::connection c(admin_url_);
    pqxx::nontransaction q(c);
    q.exec("DROP DATABASE IF EXISTS " + q.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception&) {
  }
}

std::vector<std::string> PostgresTestDatabase::query(const std::string& sql) const {
  pqxx::connection c(url_);
  pqxx::nontransaction q(c);
  std::vector<std::string> rows;
  for (const auto& r : q.exec(sql)) {
    std::string row;
    for (pqxx::row::size_type i = 0; i < r.size(); ++i) {
      if (i) row += '|';
      row += r[i].is_null() ? "NULL" : r[i].as<std::string>();
    }
    rows.push_back(row);
  }
  return rows;
}

void PostgresTestDatabase::execute(const std::string& sql) const {
  pqxx::connection c(url_);
  pqxx::nontransaction q(c);
  q.exec(sql);
}

}  // namespace migrate::testing
