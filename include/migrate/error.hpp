// Errors are values: every fallible call returns a Result<T> (or a report whose error is set);
// nothing in the public API throws except on programming errors (Result::value() on an error).
// Everything here is a plain value type: safe to use from several threads as long as none modifies
// an object another reads, as for std::string.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace migrate {

// Stable, documented codes (docs/cli.md). Text form is SCREAMING_SNAKE_CASE and never changes.
// New codes may be added in later releases: a switch over them needs a default.
enum class ErrorCode {
  // A bug, an unexpected environment failure, or an exception thrown by an Observer callback
  kInternal,
  kUsage,  // bad options, arguments or configuration
  // Migration files: names, stray files, duplicates, directives, UTF-8, two-phase pairs, a
  // statement that does not parse, transaction control in a file
  kSourceInvalid,
  // A statement (or the commit) failed during this run; a transactional migration was rolled
  // back, a non-transactional one keeps the statements before it
  kStatementFailed,
  // A statement could not get its table lock within lock_timeout (after the retries), or SQLite's
  // write lock within lock_wait
  kLockTimeout,
  kChecksumMismatch,  // an applied migration's file changed since it was applied
  kMissingFile,       // an applied migration's file is gone
  kOutOfOrder,        // a pending version is lower than an applied one
  kFailedMigration,   // an earlier attempt failed or was interrupted and is not resolved
  kIrreversible,      // rollback would need a migration that has no down file
  kConnectionFailed,  // the database (or SQLite's lock file beside it) could not be opened
  // The URL is neither a SQLite nor a PostgreSQL URL (or, in the CLI, its PostgreSQL module is
  // missing)
  kUnsupportedDatabase,
  kNotConfirmed,  // the CLI: a destructive command was not confirmed (never the library)
  // The history table was written by a newer libmigrate, is not a libmigrate history table (its
  // shape, its kind, a NULL in a required column), or does not exist while the database holds
  // another libmigrate history (apply without Options::new_history)
  kHistoryIncompatible,
  // A target or version argument is not a version, or names none of the files (or history)
  kTargetNotFound,
  kBusy,             // pre-flight: long transactions hold locks the plan needs
  kUnsafeMigration,  // the analyzer found error-level findings that are not suppressed
  // Another run held the migration lock for the whole wait (or an interrupted run's sessions
  // were still open, or a runner that takes no lock wrote the history meanwhile)
  kRunInProgress,
  kConnectionLost,      // the connection broke mid-run (server restart, terminated backend)
  kOutcomeUnknown,      // a statement outside a transaction ran, but whether it finished is unknown
  kReadOnlyDatabase,    // the database (or the session) accepts no writes
  kPermissionDenied,    // the role lacks a privilege the run needs
  kPoolerUnsupported,   // a transaction- or statement-pooling pooler sits between us and the server
  kStorageFull,         // the database's disk (or SQLite's file size limit) is full
  kBackfillNoKey,       // a backfill's table has no key to walk in batches (refused up front)
  kBackfillIncomplete,  // a backfill's check query still found rows after the last batch
  // Two-phase order: a --target at or beyond a contract the run may not run, a contract whose
  // expand is neither applied nor in the run (--phase all), or a rollback that reverts an
  // expand whose contract is applied
  kPhaseOrder,
  // Migrator::ensure: the database lacks migrations the code needs (verify-only), or the version
  // waited for was not applied within the bound (wait-for-version)
  kSchemaBehind,
  // The caller's stop_token asked the run to stop; it stopped between steps or between backfill
  // batches, with the history exact (docs/embedding.md#cancellation)
  kCancelled,
  // A migration's verify file found a problem: one of its queries returned rows (other than one
  // row whose first column is true) or failed; the step failed, its transaction rolled back
  // (docs/file-format.md#verification). Also `migrate verify` when a check fails now.
  kVerificationFailed,
  // Options::backup_dir: the backup taken before the run's first change could not be made
  // (pg_dump missing or failing, the directory not writable, the disk full); nothing was changed
  // and no partial backup file is left
  kBackupFailed,
  // Migrator::check_rollback: at least one pending migration's down did not restore the schema
  // its up started from, or its up, down or second up failed on the scratch database
  kRollbackMismatch,
};

// "CHECKSUM_MISMATCH" etc.: the stable text form, as in docs/cli.md, JSON output and the history's
// error_code column. Returns a static string; safe to call from any thread.
const char* to_string(ErrorCode code) noexcept;

// Where in the migration source an error points. Every field is optional.
struct SourceLocation {
  std::string file;     // path of the migration file
  std::string version;  // canonical version, e.g. "12"
  int statement = 0;    // 1-based statement index within the file, 0 if unknown
  int line = 0;         // 1-based, 0 if unknown
  int column = 0;       // 1-based, 0 if unknown
};

// A failure, as every fallible call returns it: a stable code to branch on, and text for people
// (message and hint are not stable and may be reworded). Filled by the library.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  // What happened, naming the file, version and statement where known; one sentence, or a list
  // (every offending file of a directory, one per line).
  std::string message;
  std::string hint;  // how to fix it
  SourceLocation where;
  std::string sqlstate;  // database error code where one exists (SQLite: extended result name)

  // "FILE:LINE:COLUMN: message" (just "FILE: message" without a line, just the message without a
  // file), followed by "\n  fix: <hint>" when there is a hint. For display; pure.
  std::string describe() const;
};

// Thrown only by Result<T>::value() (and *, ->) on an error: a programming error in the caller,
// who should have tested ok(). Library functions report failures as Error values. what() is the
// error's describe().
class BadResultAccess : public std::logic_error {
 public:
  explicit BadResultAccess(const Error& e) : std::logic_error(e.describe()) {}
};

// A T on success, an Error on failure; what every fallible call returns. Test ok() (or the bool
// conversion) before reading the value. A plain value, copyable and movable when T is.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  // True when the call succeeded and value() holds its result.
  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // The value. Precondition: ok(); otherwise throws BadResultAccess (a programming error).
  const T& value() const& {
    if (!ok()) throw BadResultAccess(std::get<1>(state_));
    return std::get<0>(state_);
  }
  T& value() & {
    if (!ok()) throw BadResultAccess(std::get<1>(state_));
    return std::get<0>(state_);
  }
  // By value from a temporary, so `for (auto& x : *migrator.status())` does not dangle.
  T value() && {
    if (!ok()) throw BadResultAccess(std::get<1>(state_));
    return std::get<0>(std::move(state_));
  }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The failure. Precondition: !ok() (otherwise std::get throws std::bad_variant_access).
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Done {};  // Result<Done> for calls with nothing to return

}  // namespace migrate
