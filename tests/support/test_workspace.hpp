// Scratch directories with migration files, and running the built `migrate` binary.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "migrate/migrator.hpp"

namespace migrate::testing {

// A fresh directory under the system temp dir, removed when the object goes away.
class TestWorkspace {
 public:
  TestWorkspace();
  ~TestWorkspace();
  TestWorkspace(const TestWorkspace&) = delete;
  TestWorkspace& operator=(const TestWorkspace&) = delete;

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path migrations() const { return root_ / "migrations"; }
  std::filesystem::path database() const { return root_ / "app.db"; }
  std::string database_url() const { return "sqlite:" + database().string(); }
  // Options for a Migrator on this workspace's database and migrations.
  Options options(bool retry_failed = false) const;

  // Writes root()/migrations/<file_name> with `content` (bytes as given).
  std::filesystem::path write_migration(const std::string& file_name,
                                        const std::string& content) const;
  void remove_migration(const std::string& file_name) const;
  // Copies every file of `from` into migrations().
  void copy_migrations_from(const std::filesystem::path& from) const;

 private:
  std::filesystem::path root_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The built `migrate` running in a child process, started with `args` in `cwd`, with `env`
// ("NAME=value") added and the MIGRATE_*/DATABASE_URL variables of the test's own environment
// removed. stdin is /dev/null; stdout and stderr go to files read back by result(). The
// destructor kills (SIGKILL) and reaps a child that is still running.
class MigrateProcess {
 public:
  // `in_child` runs in the child just before exec (resource limits, dropping privileges).
  MigrateProcess(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                 const std::vector<std::string>& env = {},
                 const std::function<void()>& in_child = {});
  // Another program the same way (the example service).
  MigrateProcess(const std::filesystem::path& binary, const std::vector<std::string>& args,
                 const std::filesystem::path& cwd, const std::vector<std::string>& env = {},
                 const std::function<void()>& in_child = {});
  ~MigrateProcess();
  MigrateProcess(const MigrateProcess&) = delete;
  MigrateProcess& operator=(const MigrateProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True once the child has exited, waiting at most `limit` for it.
  bool wait_for(std::chrono::milliseconds limit);
  // Sends SIGKILL (unless it already exited) and reaps the child.
  void kill_now();
  // Waits for the child to exit (without a limit) and returns its exit code and output; a child
  // ended by a signal has exit code 128 + the signal number.
  CommandResult result();

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
};

// Runs the built `migrate` to completion (see MigrateProcess).
// The first column of each row of `sql` on the SQLite database `db`, NULL as "NULL", through a
// read-only connection of its own (the database may be in the middle of a run); empty when it
// cannot be read.
std::vector<std::string> column_of(const std::filesystem::path& db, const std::string& sql);

CommandResult run_migrate(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                          const std::vector<std::string>& env = {},
                          const std::function<void()>& in_child = {});

// Runs `sql` (one or more statements that change the database) on the SQLite file; throws
// std::runtime_error on an error.
void execute_sqlite(const std::filesystem::path& db, const std::string& sql);

// Rows of `sql` against the SQLite file, each row's columns joined by '|'.
std::vector<std::string> query_sqlite(const std::filesystem::path& db, const std::string& sql);

// `type|name|sql` of every schema object except SQLite's and the history table, sorted.
std::vector<std::string> schema_of(const std::filesystem::path& db,
                                   const std::string& history_table = "migrate_history");

}  // namespace migrate::testing
