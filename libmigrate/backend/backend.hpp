// The small interface every database implements. Everything above it is written once.
// Rules for implementers (after golang-migrate's driver.go): do not correct user input, do not
// guess; when in doubt, fail with an Error that explains the situation. Failures are thrown as
// migrate::Failure.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "migrate/database_url.hpp"
#include "migrate/history.hpp"
#include "migrate/source.hpp"

namespace migrate {

// One statement of a file, with its position for error messages.
struct SqlStatement {
  int index = 0;           // 1-based within the file
  std::size_t offset = 0;  // byte offset of its first significant character in the file
  int line = 0;            // 1-based
  int column = 0;          // 1-based, in bytes
  std::string sql;         // from the first significant character through the terminator
};

// What a migration step asks of the session it runs in.
struct StepSession {
  bool transactional = true;
  ForeignKeyMode foreign_keys = ForeignKeyMode::kCheck;
  SourceLocation where;  // file and version, for errors
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string dialect() const = 0;

  // Splits a file into statements using the database's own tokenizer. Throws kSourceInvalid,
  // with line and column, for an unterminated statement.
  virtual std::vector<SqlStatement> split(const std::string& sql,
                                          const SourceLocation& file) const = 0;

  // Reads the attempt log; empty if the history table does not exist. Throws
  // kHistoryIncompatible for a table of a newer format or of foreign shape.
  virtual std::vector<Attempt> read_history() = 0;

  // Takes the migration lock, waiting at most `wait` (kLockTimeout after), and opens a
  // transaction for a step (SQLite: BEGIN IMMEDIATE, which is both). Creates the history table
  // inside it when missing. For non-transactional steps the lock is held only while the history
  // is read and written.
  virtual void begin(const StepSession& session, std::chrono::milliseconds wait) = 0;
  // Integrity checks the session asked for (SQLite, foreign-key mode `check`: PRAGMA
  // foreign_key_check). Throws kStatementFailed listing the violations.
  virtual void verify(const StepSession& session) = 0;
  // For a transactional session: verify(), then commit. Throws kStatementFailed on a violation
  // or when the commit itself fails (deferred constraints).
  virtual void commit(const StepSession& session) = 0;
  // Never throws; safe to call with no transaction open.
  virtual void rollback() noexcept = 0;

  // Runs one statement. In a transactional session, transaction control statements are refused.
  // Throws kStatementFailed with the file's line and column of the error.
  virtual void execute(const SqlStatement& statement, const StepSession& session) = 0;

  // History writes; they join the open transaction when there is one.
  virtual std::int64_t insert_attempt(const Attempt& attempt) = 0;
  virtual void update_attempt(const Attempt& attempt) = 0;

  // Who is running this (for the history): database user and client description.
  virtual std::string installed_by() = 0;
};

struct BackendOptions {
  std::string history_table = "migrate_history";
  bool read_only = false;  // status/plan/validate: never create the database or the table
  // Busy timeout for every access, so readers wait out a concurrent commit instead of failing.
  std::chrono::milliseconds lock_wait{10'000};
};

// Opens the backend the URL names. Throws kUsage for a malformed URL, kUnsupportedDatabase for
// a PostgreSQL URL (not in this build yet), kConnectionFailed when the database cannot be opened.
std::unique_ptr<Backend> open_backend(const std::string& url, const BackendOptions& options);

}  // namespace migrate
