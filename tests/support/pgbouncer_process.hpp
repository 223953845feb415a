// A real pgbouncer (Debian package `pgbouncer`) in front of a test's PostgreSQL database, in
// its own temporary directory: config, log and Unix socket. It runs as a child of the test
// process and is killed when the object goes away, or by the kernel when the test process
// dies (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "support/postgres_test_database.hpp"

namespace migrate::testing {

struct PgBouncerConfig {
  std::string pool_mode = "transaction";  // session, transaction or statement
  bool server_round_robin = false;        // false: LIFO reuse of server sessions (the default)
  int pool_size = 5;                      // default_pool_size
};

class PgBouncerProcess {
 public:
  // Starts pgbouncer for `db`'s database and waits until it serves a query; nullptr with the
  // reason in `why` when the binary is missing or does not start.
  static std::unique_ptr<PgBouncerProcess> start(const PostgresTestDatabase& db,
                                                 const PgBouncerConfig& config, std::string& why);
  ~PgBouncerProcess();
  PgBouncerProcess(const PgBouncerProcess&) = delete;
  PgBouncerProcess& operator=(const PgBouncerProcess&) = delete;

  // libpq key=value connection string for the database through pgbouncer (Unix socket).
  const std::string& url() const { return url_; }
  // Opens `n` server sessions in the pool at once (n clients each running a statement), so the
  // pool has n idle server sessions to choose from afterwards.
  void open_server_sessions(int n) const;
  // pgbouncer's log so far, for failure messages.
  std::string log() const;

 private:
  PgBouncerProcess(std::filesystem::path dir, pid_t pid, std::string url);
  std::filesystem::path dir_;
  pid_t pid_;
  std::string url_;
};

// Where the Debian package installs it.
inline constexpr const char* kPgBouncerBinary = "/usr/sbin/pgbouncer";

}  // namespace migrate::testing

// Starts pgbouncer before `db` with `config`; skips (locally) or fails (CI=true) the test when
// pgbouncer is not installed or does not start.
#define MIGRATE_REQUIRE_PGBOUNCER(bouncer, db, config)                                     \
  std::string migrate_pgb_why;                                                             \
  auto bouncer = ::migrate::testing::PgBouncerProcess::start(db, config, migrate_pgb_why); \
  if (!bouncer) {                                                                          \
    if (::migrate::testing::postgres_required()) FAIL() << migrate_pgb_why;                \
    GTEST_SKIP() << migrate_pgb_why;                                                       \
  }
