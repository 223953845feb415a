#include "support/pgbouncer_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>
#include <vector>

namespace migrate::testing {
namespace {

// The socket lives in the process's own directory, so this port cannot clash with another
// pgbouncer or PostgreSQL: it only names the socket file.
constexpr int kListenPort = 6432;

struct ServerAddress {
  std::string host, port, user, password, dbname;
};

// Where `url` really connects, with the defaults libpq took from PG* variables filled in.
bool resolve_server(const std::string& url, ServerAddress& out, std::string& why) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    why = std::string("cannot connect to the test database to configure pgbouncer: ") +
          PQerrorMessage(c);
    PQfinish(c);
    return false;
  }
  auto text = [](const char* s) { return std::string(s ? s : ""); };
  out = ServerAddress{text(PQhost(c)), text(PQport(c)), text(PQuser(c)), text(PQpass(c)),
                      text(PQdb(c))};
  PQfinish(c);
  return true;
}

// pgbouncer's connection strings take '...' with '' for a quote inside, as libpq's do not.
std::string connstring_quoted(const std::string& value) {
  std::string out = "'";
  for (char ch : value) out += ch == '\'' ? std::string("''") : std::string(1, ch);
  return out + "'";
}

bool serves_queries(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  bool ok = false;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, "SELECT 1");
    ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
  }
  PQfinish(c);
  return ok;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::unique_ptr<PgBouncerProcess> PgBouncerProcess::start(const PostgresTestDatabase& db,
                                                          const PgBouncerConfig& config,
                                                          std::string& why) {
  if (access(kPgBouncerBinary, X_OK) != 0) {
    why = std::string("pgbouncer is not installed (") + kPgBouncerBinary +
          "; Debian package `pgbouncer`, which scripts/install-deps.sh installs)";
    return nullptr;
  }
  ServerAddress server;
  if (!resolve_server(db.url(), server, why)) return nullptr;

  // pgbouncer will not run as root: the test drops to the user the PostgreSQL packages run as.
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (uid == 0) {
    const passwd* pw = getpwnam("postgres");
    if (!pw) pw = getpwnam("nobody");
    if (!pw) {
      why = "running as root, and neither a postgres nor a nobody user exists to run pgbouncer as";
      return nullptr;
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }

  std::string dir_template =
      (std::filesystem::temp_directory_path() / "migrate-pgbouncer-XXXXXX").string();
  if (!mkdtemp(dir_template.data())) {
    why = "cannot create a directory for pgbouncer";
    return nullptr;
  }
  const std::filesystem::path dir = dir_template;
  const std::filesystem::path ini = dir / "pgbouncer.ini";
  {
    std::ofstream out(ini);
    out << "[databases]\n"
        << db.name() << " = host=" << connstring_quoted(server.host) << " port=" << server.port
        << " dbname=" << connstring_quoted(server.dbname)
        << " user=" << connstring_quoted(server.user)
        << (server.password.empty() ? std::string()
                                    : " password=" + connstring_quoted(server.password))
        << "\n"
        << "[pgbouncer]\n"
        << "listen_addr =\n"
        << "listen_port = " << kListenPort << "\n"
        << "unix_socket_dir = " << dir.string() << "\n"
        << "logfile = " << (dir / "pgbouncer.log").string()
        << "\n"
        // Clients are the test's own; pgbouncer logs in to the server with the user above.
        << "auth_type = any\n"
        << "pool_mode = " << config.pool_mode << "\n"
        << "server_round_robin = " << (config.server_round_robin ? 1 : 0) << "\n"
        << "default_pool_size = " << config.pool_size << "\n"
        << "max_client_conn = 50\n";
  }
  chmod(ini.c_str(), 0600);
  if (chown(dir.c_str(), uid, gid) != 0 || chown(ini.c_str(), uid, gid) != 0) {
    why = "cannot hand pgbouncer's directory to the user it runs as";
    std::filesystem::remove_all(dir);
    return nullptr;
  }

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    why = "fork failed";
    std::filesystem::remove_all(dir);
    return nullptr;
  }
  if (pid == 0) {
    if (getuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
      _exit(126);
    // After the uid change, which would clear it: pgbouncer dies with the test process even
    // when the test crashes or is killed.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(125);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
    }
    execl(kPgBouncerBinary, kPgBouncerBinary, ini.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }

  std::unique_ptr<PgBouncerProcess> bouncer(
      new PgBouncerProcess(dir, pid,
                           "host=" + dir.string() + " port=" + std::to_string(kListenPort) +
                               " dbname=" + db.name() + " user=" + server.user));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!serves_queries(bouncer->url())) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      bouncer->pid_ = 0;
      why = "pgbouncer exited (status " + std::to_string(status) + "): " + bouncer->log();
      return nullptr;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      why = "pgbouncer did not serve a query within 15 s: " + bouncer->log();
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return bouncer;
}

PgBouncerProcess::PgBouncerProcess(std::filesystem::path dir, pid_t pid, std::string url)
    : dir_(std::move(dir)), pid_(pid), url_(std::move(url)) {}

PgBouncerProcess::~PgBouncerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void PgBouncerProcess::open_server_sessions(int n) const {
  // Overlapping statements, one per client: the pooler needs n server sessions at once, in every
  // pool mode (statement mode allows no transaction to hold one).
  std::vector<std::thread> clients;
  for (int i = 0; i < n; ++i) {
    clients.emplace_back([this] {
      pqxx::connection c(url_);
      pqxx::nontransaction q(c);
      q.exec("SELECT pg_sleep(0.3)");
    });
  }
  for (auto& t : clients) t.join();
}

std::string PgBouncerProcess::log() const {
  return read_text(dir_ / "pgbouncer.log");
}

}  // namespace migrate::testing
