// Errors are values: every fallible call returns a Result<T>; nothing in the public API throws
// except on programming errors (e.g. Result::value() on an error).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace migrate {

// Stable, documented codes (docs/cli.md). Text form is SCREAMING_SNAKE_CASE and never changes.
enum class ErrorCode {
  kInternal,             // a bug or an unexpected environment failure
  kUsage,                // bad options or configuration
  kSourceInvalid,        // migration files: names, stray files, duplicates, directives, UTF-8
  kStatementFailed,      // a statement failed during this run; its migration was rolled back
  kLockTimeout,          // a statement could not get its table lock within lock_timeout
  kChecksumMismatch,     // an applied migration's file changed since it was applied
  kMissingFile,          // an applied migration's file is gone
  kOutOfOrder,           // a pending version is lower than an applied one
  kFailedMigration,      // an earlier attempt failed or was interrupted and is not resolved
  kIrreversible,         // rollback would need a migration that has no down file
  kConnectionFailed,     // the database could not be opened
  kUnsupportedDatabase,  // the URL names a backend this build cannot serve
  kNotConfirmed,         // a destructive command was not confirmed
  kHistoryIncompatible,  // the history table was written by a newer libmigrate
  kTargetNotFound,       // --target names no known version
  kBusy,                 // pre-flight: long transactions hold locks the plan needs
  kUnsafeMigration,      // the analyzer found error-level findings that are not suppressed
  kRunInProgress,        // another run held the migration lock for the whole wait
  kConnectionLost,       // the connection broke mid-run (server restart, terminated backend)
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
};

// "CHECKSUM_MISMATCH" etc.
const char* to_string(ErrorCode code) noexcept;

// Where in the migration source an error points. Every field is optional.
struct SourceLocation {
  std::string file;     // path of the migration file
  std::string version;  // canonical version, e.g. "12"
  int statement = 0;    // 1-based statement index within the file, 0 if unknown
  int line = 0;         // 1-based, 0 if unknown
  int column = 0;       // 1-based, 0 if unknown
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // what happened, one sentence, names the file/version where known
  std::string hint;     // how to fix it
  SourceLocation where;
  std::string sqlstate;  // database error code where one exists (SQLite: extended result name)

  // "FILE:LINE:COLUMN: message" followed by the hint when present.
  std::string describe() const;
};

// Thrown only by Result<T>::value() misuse; library functions report failures as Error values.
class BadResultAccess : public std::logic_error {
 public:
  explicit BadResultAccess(const Error& e) : std::logic_error(e.describe()) {}
};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

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

  // Precondition: !ok().
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Done {};  // Result<Done> for calls with nothing to return

}  // namespace migrate
