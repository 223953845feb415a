// A PostgreSQL cluster of the test's own (initdb + pg_ctl, as bench/lib/pg_cluster.sh does), for
// faults that hit the whole server, such as a restart, and must not hit the shared one.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace migrate::testing {

class PostgresCluster {
 public:
  // initdb and start in a new temporary directory: trust authentication, no TCP, a Unix socket
  // in a private directory, a port no other server here uses. Server binaries from
  // MIGRATE_TEST_PG_BIN (default /usr/lib/postgresql/15/bin). As root the server runs as the
  // `postgres` user, which PostgreSQL requires. nullptr when it cannot start (reason in `why`).
  static std::unique_ptr<PostgresCluster> start(std::string& why);
  // Stops the server (immediate) and removes the directory.
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // libpq key=value connection string for `database` on this cluster.
  std::string url(const std::string& database) const;
  void create_database(const std::string& name) const;
  // `pg_ctl restart -m fast`: every session is terminated (57P01), the server is back when it
  // returns. Throws std::runtime_error (with the server log's tail) when it does not come back.
  void restart() const;

 private:
  PostgresCluster() = default;
  // Runs a server binary as the cluster's owner; its output goes to `log`. Returns the exit code.
  int run_as_owner(const std::string& command, const std::filesystem::path& log) const;
  std::string log_tail() const;

  std::filesystem::path root_;
  std::filesystem::path bin_;
  int port_ = 0;
  bool as_postgres_user_ = false;
  bool running_ = false;
};

}  // namespace migrate::testing
