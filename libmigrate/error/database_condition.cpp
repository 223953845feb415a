#include "libmigrate/error/database_condition.hpp"

#include <sqlite3.h>

#include <cerrno>

#include "libmigrate/error/sqlstate.hpp"

namespace migrate {

namespace {

// Said after every fix: a step that failed this way is recorded as failed.
constexpr std::string_view kThenRetry =
    "then run the command again (add --retry-failed if `migrate status` shows the version failed)";

}  // namespace

std::optional<DatabaseCondition> postgres_condition(std::string_view sqlstate) {
  if (sqlstate == sqlstate::kReadOnlyTransaction) {
    return DatabaseCondition{
        ErrorCode::kReadOnlyDatabase,
        "the server accepts no writes in this session: connect to the primary, not a hot "
        "standby, or turn off default_transaction_read_only (`ALTER DATABASE <db> SET "
        "default_transaction_read_only = off`, or the same on the role, then reconnect); " +
            std::string(kThenRetry)};
  }
  if (sqlstate == sqlstate::kInsufficientPrivilege) {
    return DatabaseCondition{
        ErrorCode::kPermissionDenied,
        "grant the role migrate connects as the privilege the message names (e.g. `GRANT CREATE "
        "ON DATABASE <db> TO <role>`, `GRANT USAGE, CREATE ON SCHEMA <schema> TO <role>`, or "
        "make it the owner of the tables the migration changes); " +
            std::string(kThenRetry)};
  }
  if (sqlstate == sqlstate::kDiskFull) {
    return DatabaseCondition{
        ErrorCode::kStorageFull,
        "free space on the database server's disk (or raise its quota); the failed statement's "
        "transaction was rolled back; " +
            std::string(kThenRetry)};
  }
  return std::nullopt;
}

std::optional<DatabaseCondition> sqlite_condition(int extended_result_code, int system_errno) {
  const int primary = extended_result_code & 0xff;
  const bool out_of_space =
      primary == SQLITE_FULL ||
      (primary == SQLITE_IOERR &&
       (system_errno == ENOSPC || system_errno == EDQUOT || system_errno == EFBIG));
  if (primary == SQLITE_READONLY) {
    std::string why = extended_result_code == SQLITE_READONLY_DIRECTORY
                          ? "the directory of the database file is not writable, so SQLite "
                            "cannot create its journal beside it: make the directory writable"
                          : "the database file, or the directory holding it, is not writable for "
                            "this user (or it was opened with mode=ro): make both writable";
    return DatabaseCondition{ErrorCode::kReadOnlyDatabase, why + "; " + std::string(kThenRetry)};
  }
  if (out_of_space) {
    return DatabaseCondition{
        ErrorCode::kStorageFull,
        "free space on the file system holding the database and its journal (SQLite also reports "
        "this when the process's file size limit, ulimit -f, is reached); the failed "
        "statement's transaction was rolled back; " +
            std::string(kThenRetry)};
  }
  return std::nullopt;
}

}  // namespace migrate
