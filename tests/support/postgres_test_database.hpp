// A throwaway PostgreSQL database per test, on the server the environment names
// (MIGRATE_TEST_PG_URL, else the libpq PG* variables that pg_virtualenv sets).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace migrate::testing {

class PostgresTestDatabase {
 public:
  // Creates a fresh database; nullopt when no server is configured or reachable (the reason is
  // in `why`). Tests skip then, except under CI=true, where they fail.
  static std::unique_ptr<PostgresTestDatabase> create(std::string& why);
  ~PostgresTestDatabase();
  PostgresTestDatabase(const PostgresTestDatabase&) = delete;
  PostgresTestDatabase& operator=(const PostgresTestDatabase&) = delete;

  // libpq key=value connection string for the database (password included when given).
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  // Rows of `sql`, columns joined by '|', NULL as "NULL". Throws on error.
  std::vector<std::string> query(const std::string& sql) const;
  void execute(const std::string& sql) const;

 private:
  PostgresTestDatabase(std::string admin_url, std::string url, std::string name);
  std::string admin_url_;
  std::string url_;
  std::string name_;
};

// True under CI=true: a missing server must fail the run, not skip it.
bool postgres_required();

}  // namespace migrate::testing

// Skips (locally) or fails (CI) the current test when no server is available.
#define MIGRATE_REQUIRE_POSTGRES(db)                                          \
  std::string migrate_pg_why;                                                 \
  auto db = ::migrate::testing::PostgresTestDatabase::create(migrate_pg_why); \
  if (!db) {                                                                  \
    if (::migrate::testing::postgres_required()) FAIL() << migrate_pg_why;    \
    GTEST_SKIP() << migrate_pg_why;                                           \
  }
