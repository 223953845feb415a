#include "support/test_workspace.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace migrate::testing {

TestWorkspace::TestWorkspace() {
  std::random_device rd;
  root_ = std::filesystem::temp_directory_path() /
          ("migrate-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(root_ / "migrations");
}

TestWorkspace::~TestWorkspace() {
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

Options TestWorkspace::options(bool retry_failed) const {
  Options o;
  o.database_url = database_url();
  o.migrations_dir = migrations();
  o.lock_wait = std::chrono::milliseconds(5000);
  o.retry_failed = retry_failed;
  return o;
}

std::filesystem::path TestWorkspace::write_migration(const std::string& file_name,
                                                     const std::string& content) const {
  auto path = migrations() / file_name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

void TestWorkspace::remove_migration(const std::string& file_name) const {
  std::filesystem::remove(migrations() / file_name);
}

void TestWorkspace::copy_migrations_from(const std::filesystem::path& from) const {
  for (const auto& e : std::filesystem::directory_iterator(from))
    std::filesystem::copy_file(e.path(), migrations() / e.path().filename());
}

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

MigrateProcess::MigrateProcess(const std::vector<std::string>& args,
                               const std::filesystem::path& cwd,
                               const std::vector<std::string>& env,
                               const std::function<void()>& in_child)
    : MigrateProcess(MIGRATE_BINARY, args, cwd, env, in_child) {}

MigrateProcess::MigrateProcess(const std::filesystem::path& binary,
                               const std::vector<std::string>& args,
                               const std::filesystem::path& cwd,
                               const std::vector<std::string>& env,
                               const std::function<void()>& in_child) {
  out_path_ =
      std::filesystem::temp_directory_path() /
      ("migrate-out-" + std::to_string(getpid()) + "-" + std::to_string(std::random_device{}()));
  err_path_ = out_path_.string() + ".err";
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> argv_storage{binary.string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = env;
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    for (const char* name : {"MIGRATE_DATABASE_URL", "DATABASE_URL", "MIGRATE_DIR",
                             "MIGRATE_OUTPUT", "MIGRATE_LOG_LEVEL", "MIGRATE_HISTORY_TABLE",
                             "MIGRATE_LOCK_TIMEOUT", "MIGRATE_SQLITE_FOREIGN_KEYS"}) {
      unsetenv(name);
    }
    for (auto& kv : env_storage) putenv(kv.data());
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    if (in_child) in_child();
    execv(argv[0], argv.data());
    _exit(127);
  }
}

MigrateProcess::~MigrateProcess() {
  kill_now();
  std::error_code ec;
  std::filesystem::remove(out_path_, ec);
  std::filesystem::remove(err_path_, ec);
}

bool MigrateProcess::wait_for(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!reaped_) {
    pid_t done = waitpid(pid_, &status_, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void MigrateProcess::kill_now() {
  if (reaped_ || pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  reaped_ = true;
}

CommandResult MigrateProcess::result() {
  if (!reaped_) {
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  CommandResult r;
  r.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  r.out = slurp(out_path_);
  r.err = slurp(err_path_);
  return r;
}

std::vector<std::string> column_of(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* c = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(c, 1000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(c, sql.c_str(), -1, &s, nullptr) == SQLITE_OK) {
      while (sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char* v = sqlite3_column_text(s, 0);
        out.emplace_back(v ? reinterpret_cast<const char*>(v) : "NULL");
      }
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(c);
  return out;
}

CommandResult run_migrate(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                          const std::vector<std::string>& env,
                          const std::function<void()>& in_child) {
  return MigrateProcess(args, cwd, env, in_child).result();
}

void execute_sqlite(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    throw std::runtime_error("cannot open " + db.string());
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &error);
  const std::string why = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(h);
  if (rc != SQLITE_OK) throw std::runtime_error(why + " in " + sql);
}

std::vector<std::string> query_sqlite(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    throw std::runtime_error("cannot open " + db.string());
  }
  std::vector<std::string> rows;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    std::string why = sqlite3_errmsg(h);
    sqlite3_close(h);
    throw std::runtime_error(why + " in " + sql);
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      if (i) row += '|';
      auto* t = sqlite3_column_text(st, i);
      row += t ? reinterpret_cast<const char*>(t) : "NULL";
    }
    rows.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return rows;
}

std::vector<std::string> schema_of(const std::filesystem::path& db,
                                   const std::string& history_table) {
  return query_sqlite(
      db,
      "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> '" +
          history_table + "' AND tbl_name <> '" + history_table + "_statements' AND tbl_name <> '" +
          history_table + "_calibration' ORDER BY type, name");
}

}  // namespace migrate::testing
