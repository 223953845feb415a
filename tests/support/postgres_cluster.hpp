// A PostgreSQL cluster of the test's own (initdb + pg_ctl, as bench/lib/pg_cluster.sh does), for
// faults that hit the whole server, such as a restart, and must not hit the shared one; and for
// streaming replicas (pg_basebackup -R), which the shared server cannot give a test.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace migrate::testing {

struct ClusterOptions {
  // Lets start_replica() stream from this cluster: wal_level=replica, WAL senders and an hba line
  // `local replication all trust`, whatever the server's defaults are.
  bool allow_replication = false;
};

class PostgresCluster {
 public:
  // initdb and start in a new temporary directory: trust authentication, no TCP, a Unix socket
  // in a private directory, a port no other server here uses. Server binaries from
  // MIGRATE_TEST_PG_BIN (default /usr/lib/postgresql/15/bin). As root the server runs as the
  // `postgres` user, which PostgreSQL requires. nullptr when it cannot start (reason in `why`).
  static std::unique_ptr<PostgresCluster> start(std::string& why,
                                                const ClusterOptions& options = {});
  // Stops the server (immediate) and removes the directory.
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // A hot standby of this cluster (which must have been started with allow_replication):
  // `pg_basebackup -R` into a new temporary directory, started on its own socket directory and
  // port, streaming from this one. Each commit is replayed `min_apply_delay` after the primary
  // made it (recovery_min_apply_delay), so that pg_stat_replication.replay_lag on the primary
  // grows to about that delay while the primary writes. The replica reports its replay position
  // every second (wal_receiver_status_interval), so replay_lag follows within a second.
  // Destroy it before this cluster. nullptr when it cannot start (reason in `why`).
  std::unique_ptr<PostgresCluster> start_replica(std::string& why,
                                                 std::chrono::milliseconds min_apply_delay) const;

  // libpq key=value connection string for `database` on this cluster.
  std::string url(const std::string& database) const;
  void create_database(const std::string& name) const;
  // `pg_ctl restart -m fast`: every session is terminated (57P01), the server is back when it
  // returns. Throws std::runtime_error (with the server log's tail) when it does not come back.
  void restart() const;

 private:
  PostgresCluster() = default;
  // Checks the server binaries and the server's user, makes the temporary directory (with its
  // `sock` directory) and picks the port. nullptr when it cannot (reason in `why`).
  static std::unique_ptr<PostgresCluster> prepare(std::string& why);
  // `pg_ctl start` on root_/data with this cluster's port and socket and `extra_options` (server
  // command-line options). False when the server did not start (reason in `why`).
  bool launch(std::string& why, const std::string& extra_options);
  // Runs a server binary as the cluster's owner; its output goes to `log`. Returns the exit code.
  int run_as_owner(const std::string& command, const std::filesystem::path& log) const;
  std::string log_tail() const;

  std::filesystem::path root_;
  std::filesystem::path bin_;
  int port_ = 0;
  bool as_postgres_user_ = false;
  bool running_ = false;
  bool allows_replication_ = false;
};

}  // namespace migrate::testing
