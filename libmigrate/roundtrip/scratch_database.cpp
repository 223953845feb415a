// Creating, filling and removing the round-trip check's scratch database. pg_dump and pg_restore
// run as child processes with an argument vector (posix_spawnp, no shell); the connection
// parameters of the URL go to them as libpq's environment variables (PGHOST, PGPASSWORD...), so
// that no password appears in a process list.
#include "libmigrate/roundtrip/scratch_database.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "libmigrate/backend/database_url.hpp"
#include "libmigrate/backend/postgres_driver.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/roundtrip/schema_snapshot.hpp"

extern char** environ;

namespace migrate {

namespace {

std::string random_suffix() {
  std::random_device device;
  return fmt::format("{:08x}", device());
}

std::vector<ConnectionParameter> connection_parameters(const std::string& url) {
  return postgres_driver().connection_parameters(url);
}

std::string quoted_conninfo_value(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// The connection string `url` with another database name.
std::string with_database(const std::string& url, const std::string& database) {
  std::string out;
  for (const auto& p : connection_parameters(url)) {
    if (p.keyword == "dbname") continue;
    out += fmt::format("{}={} ", p.keyword, quoted_conninfo_value(p.value));
  }
  return out + "dbname=" + quoted_conninfo_value(database);
}

struct ProgramResult {
  int status = -1;  // exit status; 128 + signal when killed
  std::string output;
};

// Runs `argv` (found on PATH) with this process's environment plus `environment`, stdout and
// stderr read back from a temporary file.
ProgramResult run_program(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& environment) {
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos && environment.contains(entry.substr(0, eq))) continue;
    env_strings.push_back(std::move(entry));
  }
  for (const auto& [k, v] : environment) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  const auto log_path = std::filesystem::temp_directory_path() /
                        fmt::format("migrate-rollback-check-{}-{}.log", getpid(), random_suffix());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ProgramResult result;
  if (rc != 0) {
    std::error_code ignored;
    std::filesystem::remove(log_path, ignored);
    result.output = fmt::format("cannot run {}: {}", argv[0], std::strerror(rc));
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(log_path);
  std::stringstream text;
  text << in.rdbuf();
  result.output = text.str();
  std::error_code ignored;
  std::filesystem::remove(log_path, ignored);
  return result;
}

// libpq's environment variables for the parameters `url` sets; those without one (rare) are
// left to the child's defaults, as for a URL that omits them.
std::map<std::string, std::string> libpq_environment(const std::string& url,
                                                     const std::string& purpose) {
  std::map<std::string, std::string> env;
  for (const auto& p : connection_parameters(url))
    if (!p.envvar.empty()) env[p.envvar] = p.value;
  env["PGAPPNAME"] = purpose == "rollback-check" ? "migrate check-rollback" : "migrate " + purpose;
  return env;
}

void run_or_fail(const std::vector<std::string>& argv, const std::string& url,
                 const std::string& what, const std::string& purpose) {
  auto r = run_program(argv, libpq_environment(url, purpose));
  if (r.status == 0) return;
  std::string output = redact_secrets(r.output, url);
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  fail(ErrorCode::kInternal,
       fmt::format("{} failed{}: {}", what,
                   r.status > 0 ? fmt::format(" with exit status {}", r.status) : "", output),
       fmt::format("{} must be installed ({}::pg_dump / pg_restore name them) with a major "
                   "version at least the server's, and the role must be able to read the whole "
                   "schema; or give {} a database prepared by hand",
                   argv[0],
                   purpose == "rollback-check" ? "RollbackCheckOptions" : "LockTraceOptions",
                   purpose == "rollback-check" ? "--scratch-db" : "--trace-db"));
}

// The pg_dump pattern that names exactly `schema`.`table`.
std::string dump_pattern(const std::string& schema, const std::string& table) {
  auto quoted = [](const std::string& name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  return quoted(schema) + "." + quoted(table);
}

std::string single_value(Backend& backend, const std::string& sql) {
  auto rows = backend.query(sql);
  return rows.empty() || rows.front().empty() ? std::string() : rows.front().front().value_or("");
}

std::set<std::string> history_tables(const HistoryTableName& history) {
  return {history.table, history.table + "_statements", history.table + "_calibration"};
}

}  // namespace

ScratchDatabase::ScratchDatabase(Backend& target, const std::string& target_url,
                                 const HistoryTableName& history, const RollbackCheckOptions& check,
                                 const BackendOptions& backend_options, bool copy_schema,
                                 std::string purpose)
    : backend_options_(backend_options), purpose_(std::move(purpose)), dialect_(target.dialect()) {
  backend_options_.read_only = false;
  try {
    if (dialect_ == Dialect::kPostgres)
      create_postgres(target, target_url, history, check, copy_schema);
    else
      create_sqlite(target, history, check, copy_schema);
  } catch (...) {
    remove();
    throw;
  }
}

ScratchDatabase::~ScratchDatabase() {
  remove();
}

std::string ScratchDatabase::printable() const {
  if (dialect_ == Dialect::kSqlite && temporary_) return file_.string();
  return redact_url(url_);
}

void ScratchDatabase::refuse_unless_empty(const HistoryTableName& history) {
  BackendOptions o = backend_options_;
  o.read_only = true;
  auto scratch = open_backend(url_, o);
  for (const auto& [key, object] : take_schema_snapshot(*scratch, history)) {
    if (object.kind == "schema" || object.kind == "extension") continue;
    fail(ErrorCode::kUsage,
         fmt::format("the scratch database {} is not empty: it has {} {}", printable(), object.kind,
                     object.name),
         "give --scratch-db an empty database (the check creates the schema in it), or leave "
         "--scratch-db out to use a temporary one");
  }
}

void ScratchDatabase::create_postgres(Backend& target, const std::string& target_url,
                                      const HistoryTableName& history,
                                      const RollbackCheckOptions& check, bool copy_schema) {
  // Same database name on a server started at the same instant on the same port: the target.
  const std::string identity_sql =
      "SELECT current_database() || ' ' || COALESCE(host(inet_server_addr()), 'local') || ' ' || "
      "COALESCE(inet_server_port()::text, '') || ' ' || pg_postmaster_start_time()::text";
  const std::string target_database = single_value(target, "SELECT current_database()");
  if (!check.scratch_database_url.empty()) {
    url_ = check.scratch_database_url;
    BackendOptions o = backend_options_;
    o.read_only = true;
    auto scratch = open_backend(url_, o);
    if (scratch->dialect() != Dialect::kPostgres)
      fail(ErrorCode::kUsage, "the scratch database is not a PostgreSQL database like the target",
           "give --scratch-db a postgresql:// URL");
    if (single_value(*scratch, identity_sql) == single_value(target, identity_sql))
      fail(ErrorCode::kUsage,
           fmt::format("the scratch database {} is the target database", redact_url(url_)),
           "give --scratch-db another (empty) database, or leave it out to use a temporary one");
    database_name_ = single_value(*scratch, "SELECT current_database()");
    scratch.reset();
    refuse_unless_empty(history);
  } else {
    admin_ = open_backend(target_url, [&] {
      BackendOptions o = backend_options_;
      o.read_only = true;
      return o;
    }());
    std::string prefix = purpose_;
    std::replace(prefix.begin(), prefix.end(), '-', '_');
    database_name_ = fmt::format("migrate_{}_{}_{}", prefix, getpid(), random_suffix());
    admin_->query(fmt::format("CREATE DATABASE {} TEMPLATE template0",
                              admin_->quote_identifier(database_name_)));
    temporary_ = true;
    url_ = with_database(target_url, database_name_);
  }
  if (backend_options_.log)
    backend_options_.log(LogLevel::kInfo,
                         fmt::format("{} in {} database {}",
                                     purpose_ == "rollback-check" ? "round-trip check" : purpose_,
                                     temporary_ ? "temporary" : "scratch", database_name_));
  if (!copy_schema) return;
  const auto dump = std::filesystem::temp_directory_path() /
                    fmt::format("migrate-rollback-check-{}-{}.dump", getpid(), random_suffix());
  struct RemoveDump {
    std::filesystem::path path;
    ~RemoveDump() {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  } remove_dump{dump};
  std::vector<std::string> dump_args{check.pg_dump, "--schema-only",   "--format=custom",
                                     "--no-owner",  "--no-privileges", "--file=" + dump.string()};
  for (const auto& table : history_tables(history))
    dump_args.push_back("--exclude-table=" + dump_pattern(history.schema, table));
  dump_args.push_back("--dbname=" + target_database);
  run_or_fail(dump_args, target_url, "pg_dump --schema-only of the target", purpose_);
  run_or_fail({check.pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
               "--dbname=" + database_name_, dump.string()},
              url_, "pg_restore of the target's schema into the scratch database", purpose_);
}

void ScratchDatabase::create_sqlite(Backend& target, const HistoryTableName& history,
                                    const RollbackCheckOptions& check, bool copy_schema) {
  if (!check.scratch_database_url.empty()) {
    url_ = check.scratch_database_url;
    if (!url_.starts_with("sqlite:") || url_ == "sqlite::memory:")
      fail(ErrorCode::kUsage,
           fmt::format("the scratch database {} is not a SQLite file", redact_url(url_)),
           "give --scratch-db sqlite:PATH (a new or empty file), or leave it out");
    auto probe = open_backend(url_, backend_options_);
    if (single_value(*probe, "SELECT file FROM pragma_database_list WHERE name = 'main'") ==
        single_value(target, "SELECT file FROM pragma_database_list WHERE name = 'main'"))
      fail(ErrorCode::kUsage,
           fmt::format("the scratch database {} is the target database", redact_url(url_)),
           "give --scratch-db another (new or empty) file, or leave it out");
    probe.reset();
    refuse_unless_empty(history);
  } else {
    file_ = std::filesystem::temp_directory_path() /
            fmt::format("migrate-rollback-check-{}-{}.db", getpid(), random_suffix());
    temporary_ = true;
    url_ = "sqlite:" + file_.string();
  }
  auto scratch = open_backend(url_, backend_options_);
  if (!copy_schema) return;
  const auto history_set = history_tables(history);
  auto objects = target.query(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT "
      "LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY CASE type WHEN 'table' THEN CASE WHEN sql LIKE "
      "'CREATE VIRTUAL%' THEN 0 ELSE 1 END WHEN 'index' THEN 2 WHEN 'view' THEN 3 ELSE 4 END, "
      "rowid");
  for (const auto& o : objects) {
    const std::string type = o[0].value_or("");
    const std::string name = o[1].value_or("");
    if (history_set.contains(o[2].value_or(""))) continue;
    // A virtual table created its shadow tables already.
    if (type == "table" &&
        !scratch->query("SELECT 1 FROM sqlite_master WHERE name = ?1", {name}).empty())
      continue;
    scratch->query(*o[3]);
  }
}

bool ScratchDatabase::remove() noexcept {
  if (!temporary_) return false;
  if (removed_) return true;
  try {
    if (dialect_ == Dialect::kPostgres) {
      if (!admin_) return false;
      try {
        admin_->query(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)",
                                  admin_->quote_identifier(database_name_)));
      } catch (const Failure&) {
        // Before PostgreSQL 13 there is no FORCE; the check's own sessions are closed anyway.
        admin_->query(
            fmt::format("DROP DATABASE IF EXISTS {}", admin_->quote_identifier(database_name_)));
      }
    } else {
      for (const char* suffix : {"", "-journal", "-wal", "-shm", "-migrate-lock"}) {
        std::error_code ignored;
        std::filesystem::remove(file_.string() + suffix, ignored);
      }
    }
    removed_ = true;
  } catch (const std::exception& e) {
    if (backend_options_.log)
      backend_options_.log(
          LogLevel::kWarn,
          fmt::format("the temporary scratch database {} could not be removed: "
                      "{}; remove it by hand",
                      dialect_ == Dialect::kPostgres ? database_name_ : file_.string(), e.what()));
  }
  return removed_;
}

}  // namespace migrate
