// The backup taken before a run's first change (Options::backup_dir, docs/operations.md#backups):
// PostgreSQL through pg_dump's custom format, run with an argument vector (never a shell) and the
// password in its environment (never in its arguments); SQLite through SQLite's online backup
// API on the run's own connection. The file is written under a temporary name and renamed when
// complete, so a failure leaves no partial backup behind.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "libmigrate/backend/backend.hpp"
#include "migrate/plan.hpp"

namespace migrate {

struct BackupPolicy {
  std::filesystem::path directory;            // created if missing
  std::filesystem::path pg_dump = "pg_dump";  // a path, or a name looked up in PATH
  std::string database_url;                   // what pg_dump connects to (PostgreSQL)
};

// Backs up the database `backend` is connected to into policy.directory, naming the file after
// the database, the UTC time and the plan's version range:
// <db>-<YYYYMMDDTHHMMSSmmmZ>-before-V3-V5.dump (apply), ...-before-rollback-V5-V3.sqlite3
// (rollback). Returns the file's absolute path. Precondition: the run lock is held and no
// transaction is open. Throws Failure(kBackupFailed) naming the cause (pg_dump's own error output
// included); no file is left then.
std::filesystem::path back_up_database(Backend& backend, const BackupPolicy& policy,
                                       const Plan& plan);

// The connection pg_dump is given: `dbname` is `url` without its password (a value for
// --dbname), `password` the password it held (for PGPASSWORD), if any. Throws
// Failure(kBackupFailed) for a secret libpq takes only from the connection string (sslpassword).
// Pure; exposed for the unit tests.
struct PgDumpConnection {
  std::string dbname;
  std::optional<std::string> password;
};
PgDumpConnection pg_dump_connection(const std::string& url);

}  // namespace migrate
