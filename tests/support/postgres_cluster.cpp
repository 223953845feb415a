#include "support/postgres_cluster.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace migrate::testing {

namespace {

bool port_in_use(int port) {
  for (const char* dir : {"/var/run/postgresql", "/tmp"})
    if (std::filesystem::exists(std::string(dir) + "/.s.PGSQL." + std::to_string(port)))
      return true;
  return false;
}

void chown_tree(const std::filesystem::path& root, uid_t uid, gid_t gid) {
  if (chown(root.c_str(), uid, gid) != 0) throw std::runtime_error("cannot chown " + root.string());
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    if (chown(e.path().c_str(), uid, gid) != 0)
      throw std::runtime_error("cannot chown " + e.path().string());
}

}  // namespace

std::unique_ptr<PostgresCluster> PostgresCluster::prepare(std::string& why) {
  std::unique_ptr<PostgresCluster> c(new PostgresCluster());
  const char* bin = std::getenv("MIGRATE_TEST_PG_BIN");
  c->bin_ = bin && *bin ? bin : "/usr/lib/postgresql/15/bin";
  for (const char* tool : {"initdb", "pg_ctl", "postgres"}) {
    if (access((c->bin_ / tool).c_str(), X_OK) != 0) {
      why = "no " + (c->bin_ / tool).string() +
            " (apt-get install postgresql-15, or set MIGRATE_TEST_PG_BIN)";
      return nullptr;
    }
  }
  struct passwd* owner = nullptr;
  if (geteuid() == 0) {
    owner = getpwnam("postgres");
    if (!owner || access("/usr/sbin/runuser", X_OK) != 0) {
      why = "running as root needs a `postgres` user and runuser to run the server";
      return nullptr;
    }
    c->as_postgres_user_ = true;
  }
  std::string pattern =
      (std::filesystem::temp_directory_path() / "migrate-test-pg.XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!mkdtemp(buffer.data())) {
    why = "mkdtemp failed for " + pattern;
    return nullptr;
  }
  c->root_ = buffer.data();
  std::filesystem::create_directory(c->root_ / "sock");
  // The server user must reach its directory: mkdtemp makes it 0700 and owned by us.
  if (owner) chown_tree(c->root_, owner->pw_uid, owner->pw_gid);
  std::mt19937 rng(std::random_device{}());
  for (int tries = 0; tries < 100; ++tries) {
    c->port_ = 20000 + static_cast<int>(rng() % 20000);
    if (!port_in_use(c->port_)) break;
  }
  return c;
}

bool PostgresCluster::launch(std::string& why, const std::string& extra_options) {
  // fsync off: the tests restart the server many times and durability is not what they test.
  std::string options = "-p " + std::to_string(port_) +
                        " -c listen_addresses='' -c fsync=off -c unix_socket_directories='" +
                        (root_ / "sock").string() + "' " + extra_options;
  if (run_as_owner((bin_ / "pg_ctl").string() + " -D " + (root_ / "data").string() + " -l " +
                       (root_ / "server.log").string() + " -w -t 60 -o \"" + options + "\" start",
                   root_ / "pg_ctl.log") != 0) {
    why = "the PostgreSQL server did not start: " + log_tail();
    return false;
  }
  running_ = true;
  return true;
}

std::unique_ptr<PostgresCluster> PostgresCluster::start(std::string& why,
                                                        const ClusterOptions& options) {
  auto c = prepare(why);
  if (!c) return nullptr;
  if (c->run_as_owner((c->bin_ / "initdb").string() + " -D " + (c->root_ / "data").string() +
                          " -U postgres -A trust -E UTF8 --locale=C --no-sync",
                      c->root_ / "initdb.log") != 0) {
    std::ifstream log(c->root_ / "initdb.log");
    std::stringstream s;
    s << log.rdbuf();
    why = "initdb failed: " + s.str();
    return nullptr;
  }
  std::string extra;
  if (options.allow_replication) {
    // initdb -A trust writes this line today; stated here so that a replica does not depend on
    // initdb's template.
    std::ofstream hba(c->root_ / "data" / "pg_hba.conf", std::ios::app);
    hba << "local replication all trust\n";
    if (!hba.flush()) {
      why = "cannot write " + (c->root_ / "data" / "pg_hba.conf").string();
      return nullptr;
    }
    extra = "-c wal_level=replica -c max_wal_senders=10";
    c->allows_replication_ = true;
  }
  if (!c->launch(why, extra)) return nullptr;
  return c;
}

std::unique_ptr<PostgresCluster> PostgresCluster::start_replica(
    std::string& why, std::chrono::milliseconds min_apply_delay) const {
  if (!allows_replication_) {
    why = "start_replica needs a primary started with ClusterOptions::allow_replication";
    return nullptr;
  }
  auto r = prepare(why);
  if (!r) return nullptr;
  if (access((r->bin_ / "pg_basebackup").c_str(), X_OK) != 0) {
    why = "no " + (r->bin_ / "pg_basebackup").string() +
          " (apt-get install postgresql-15, or set MIGRATE_TEST_PG_BIN)";
    return nullptr;
  }
  // -R: standby.signal and a primary_conninfo naming this cluster's socket and port;
  // -c fast: do not wait for the next scheduled checkpoint.
  if (r->run_as_owner((r->bin_ / "pg_basebackup").string() + " -D " + (r->root_ / "data").string() +
                          " -R -X stream -c fast --no-sync -h " + (root_ / "sock").string() +
                          " -p " + std::to_string(port_) + " -U postgres",
                      r->root_ / "basebackup.log") != 0) {
    std::ifstream log(r->root_ / "basebackup.log");
    std::stringstream s;
    s << log.rdbuf();
    why = "pg_basebackup failed: " + s.str();
    return nullptr;
  }
  // The standby otherwise reports its replay position only every 10 s, and replay_lag on the
  // primary would lag behind the real delay by that much.
  if (!r->launch(why, "-c recovery_min_apply_delay=" + std::to_string(min_apply_delay.count()) +
                          "ms -c wal_receiver_status_interval=1s -c hot_standby=on"))
    return nullptr;
  return r;
}

PostgresCluster::~PostgresCluster() {
  if (running_)
    run_as_owner(
        (bin_ / "pg_ctl").string() + " -D " + (root_ / "data").string() + " -m immediate -w stop",
        root_ / "pg_ctl.log");
  std::error_code ec;
  if (!root_.empty()) std::filesystem::remove_all(root_, ec);
}

int PostgresCluster::run_as_owner(const std::string& command,
                                  const std::filesystem::path& log) const {
  // From /, since the caller's directory may be closed to the postgres user.
  std::string line = "cd / && " +
                     (as_postgres_user_ ? "/usr/sbin/runuser -u postgres -- " + command : command) +
                     " >>" + log.string() + " 2>&1";
  int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string PostgresCluster::log_tail() const {
  std::ifstream in(root_ / "server.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > 20 ? lines.size() - 20 : 0; i < lines.size(); ++i)
    out += lines[i] + "\n";
  return out;
}

std::string PostgresCluster::url(const std::string& database) const {
  return "host=" + (root_ / "sock").string() + " port=" + std::to_string(port_) +
         " user=postgres dbname=" + database;
}

void PostgresCluster::create_database(const std::string& name) const {
  pqxx::connection c(url("postgres"));
  pqxx::nontransaction q(c);
  q.exec("CREATE DATABASE " + q.quote_name(name));
}

void PostgresCluster::restart() const {
  if (run_as_owner((bin_ / "pg_ctl").string() + " -D " + (root_ / "data").string() + " -l " +
                       (root_ / "server.log").string() + " -m fast -w -t 60 restart",
                   root_ / "pg_ctl.log") != 0)
    throw std::runtime_error("pg_ctl restart failed: " + log_tail());
}

}  // namespace migrate::testing
