#include "libmigrate/backup/database_backup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "libmigrate/backend/database_url.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/history/timestamp.hpp"

extern char** environ;  // NOLINT: POSIX, for the child's environment

namespace migrate {
namespace {

constexpr const char* kNothingChanged = "; nothing was changed";

[[noreturn]] void backup_failed(const std::string& message, const std::string& hint) {
  fail(ErrorCode::kBackupFailed, message + kNothingChanged, hint);
}

// Letters, digits, '.', '_' and '-' only: a database name becomes part of a file name.
std::string file_name_part(const std::string& s) {
  std::string out;
  for (char c : s)
    out +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  return out.empty() ? std::string("db") : out;
}

std::string range_label(const Plan& plan) {
  std::string label = "before";
  if (!plan.steps.empty() && plan.steps.front().kind == StepKind::kRevert) label += "-rollback";
  if (plan.steps.empty()) return label;
  label += "-V" + plan.steps.front().version;
  if (plan.steps.size() > 1) label += "-V" + plan.steps.back().version;
  return label;
}

// "2026-11-23T07:15:14.123Z" as "20261123T071514123Z": sortable, and no ':' in a file name.
std::string compact_timestamp() {
  std::string out;
  for (char c : utc_timestamp())
    if (c != '-' && c != ':' && c != '.') out += c;
  return out;
}

std::string sqlite_database_name(const std::string& url) {
  std::string path = url.substr(std::min<std::size_t>(url.size(), 7));
  if (path.starts_with("//")) path = path.substr(2);
  path = path.substr(0, path.find('?'));
  return std::filesystem::path(path).stem().string();
}

std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A key=value value as libpq reads it: quoted with '...' and backslash escapes, or bare.
std::string unquoted(std::string_view s) {
  if (s.size() < 2 || s.front() != '\'') return std::string(s);
  std::string out;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

// Runs `argv` with `env`, its stdout discarded, and returns its exit status and what it wrote
// to stderr.
struct ChildResult {
  int status = 0;
  std::string err;
};

ChildResult run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0)
    backup_failed(fmt::format("cannot create a pipe for {}: {}", argv[0], std::strerror(errno)),
                  "check the process's file descriptor limit");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    backup_failed(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)),
                  "install PostgreSQL's client programs (Debian: postgresql-client), or point "
                  "backup.pg_dump (--pg-dump) at a pg_dump that can dump the server");
  }
  ChildResult out;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) {
      if (out.err.size() < 64 * 1024) out.err.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(pipe_fds[0]);
  while (waitpid(pid, &out.status, 0) < 0 && errno == EINTR) {
  }
  return out;
}

void pg_dump_into(const BackupPolicy& policy, const std::filesystem::path& file) {
  const PgDumpConnection connection = pg_dump_connection(policy.database_url);
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    if (connection.password && entry.starts_with("PGPASSWORD=")) continue;
    env.emplace_back(entry);
  }
  if (connection.password) env.push_back("PGPASSWORD=" + *connection.password);
  const std::vector<std::string> argv{policy.pg_dump.string(), "--format=custom", "--no-password",
                                      "--file=" + file.string(), "--dbname=" + connection.dbname};
  ChildResult r = run_program(argv, env);
  if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) return;
  std::string err = redact_secrets(r.err, policy.database_url);
  while (!err.empty() && std::isspace(static_cast<unsigned char>(err.back()))) err.pop_back();
  const std::string how = WIFEXITED(r.status)
                              ? fmt::format("exited with status {}", WEXITSTATUS(r.status))
                              : fmt::format("was killed by signal {}", WTERMSIG(r.status));
  backup_failed(fmt::format("the backup failed: {} {}{}", policy.pg_dump.string(), how,
                            err.empty() ? std::string() : ": " + err),
                "fix what pg_dump reports (a pg_dump older than the server needs a newer one: "
                "set backup.pg_dump or --pg-dump), or run without --backup");
}

}  // namespace

PgDumpConnection pg_dump_connection(const std::string& url) {
  const DatabaseUrlSecrets secrets = find_url_secrets(url);
  PgDumpConnection out{url, std::nullopt};
  // Last span first, so the earlier spans' offsets stay valid while cutting.
  for (auto it = secrets.passwords.rbegin(); it != secrets.passwords.rend(); ++it) {
    const std::string value = url.substr(it->begin, it->end - it->begin);
    std::size_t cut_begin = it->begin;
    std::size_t cut_end = it->end;
    std::string key;
    std::size_t k = it->begin;
    while (k > 0 && url[k - 1] == ' ') --k;  // key = value
    if (k > 0 && url[k - 1] == '=') {
      --k;
      while (k > 0 && url[k - 1] == ' ') --k;
      std::size_t key_end = k;
      while (k > 0 && (std::isalnum(static_cast<unsigned char>(url[k - 1])) || url[k - 1] == '_'))
        --k;
      key = url.substr(k, key_end - k);
      cut_begin = k;
      if (secrets.form == DatabaseUrlForm::kUri) {
        // ?password=x&a=b keeps "?a=b"; a=b&password=x keeps "a=b".
        if (cut_begin > 0 && url[cut_begin - 1] == '&') {
          --cut_begin;
        } else if (cut_end < url.size() && url[cut_end] == '&') {
          ++cut_end;
        } else if (cut_begin > 0 && url[cut_begin - 1] == '?') {
          --cut_begin;
        }
      }
    } else if (it->begin > 0 && url[it->begin - 1] == ':') {
      key = "password";  // a URI's user:password@
      cut_begin = it->begin - 1;
    }
    std::string lower = key;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower != "password")
      backup_failed(fmt::format("the database URL holds {}, which pg_dump could only be given on "
                                "its command line",
                                key.empty() ? std::string("a secret") : key),
                    "give the connection to pg_dump through a service file (PGSERVICE) or a "
                    "password file (PGPASSFILE), without the secret in the URL");
    out.password = secrets.form == DatabaseUrlForm::kUri ? percent_decoded(value) : unquoted(value);
    out.dbname.erase(cut_begin, cut_end - cut_begin);
  }
  return out;
}

std::filesystem::path back_up_database(Backend& backend, const BackupPolicy& policy,
                                       const Plan& plan) {
  namespace fs = std::filesystem;
  const bool postgres = backend.dialect() == Dialect::kPostgres;
  std::string database;
  if (postgres) {
    auto rows = backend.query("SELECT current_database()");
    database = rows.empty() || rows[0].empty() ? std::string() : rows[0][0].value_or("");
  } else {
    database = sqlite_database_name(policy.database_url);
  }
  std::error_code ec;
  fs::create_directories(policy.directory, ec);
  if (ec || !fs::is_directory(policy.directory))
    backup_failed(
        fmt::format("cannot create the backup directory {}: {}", policy.directory.string(),
                    ec ? ec.message() : std::string("not a directory")),
        "give --backup (backup.dir) a directory the user running migrate can write");
  const std::string stem =
      fmt::format("{}-{}-{}", file_name_part(database), compact_timestamp(), range_label(plan));
  const std::string extension = postgres ? ".dump" : ".sqlite3";
  // Absolute: the history keeps it for later runs, from any directory.
  const fs::path directory = fs::absolute(policy.directory, ec);
  fs::path file = directory / (stem + extension);
  for (int n = 2; fs::exists(file); ++n)
    file = directory / fmt::format("{}-{}{}", stem, n, extension);
  const fs::path partial = directory / ("." + file.filename().string() + ".partial");
  // Created here, so that an unwritable directory is reported the same for both engines.
  const int fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    backup_failed(
        fmt::format("cannot write the backup file {}: {}", partial.string(), std::strerror(errno)),
        "give --backup (backup.dir) a directory the user running migrate can write");
  close(fd);
  try {
    if (postgres)
      pg_dump_into(policy, partial);
    else
      backend.copy_database_to(partial.string());
    fs::rename(partial, file, ec);
    if (ec)
      backup_failed(fmt::format("cannot rename the backup file {} to {}: {}", partial.string(),
                                file.string(), ec.message()),
                    "check the backup directory");
  } catch (...) {
    fs::remove(partial, ec);
    fs::remove(fs::path(partial.string() + "-journal"), ec);
    throw;
  }
  return file;
}

}  // namespace migrate
