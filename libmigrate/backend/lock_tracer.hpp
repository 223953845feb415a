// Runs statements on a PostgreSQL trace database and reads the relation locks each took from
// pg_locks (docs/analysis.md#checking-the-lock-table-against-the-server). PostgreSQL only by
// nature (several sessions watching one another's pg_locks rows): the one implementation talks
// libpqxx directly, as the PostgreSQL backend does (postgres/postgres_lock_tracer.cpp), and is
// reached through the PostgreSQL driver (postgres_driver.hpp). It never runs on a database nobody
// chose as a trace database.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "migrate/error.hpp"
#include "migrate/lock_trace.hpp"

namespace migrate {

class LockTracer {
 public:
  enum class Mode {
    // Each statement runs in a transaction of its own that commits (a throwaway copy: the next
    // statement sees its effect); one that cannot run in a transaction runs alone, observed
    // while it waits behind a lock another session holds.
    kCommitEach,
    // Every statement runs in one transaction that rollback() (or the destructor) rolls back: a
    // database someone else may use. A statement that cannot run in a transaction is not run.
    kOneTransaction,
  };
  struct Settings {
    Mode mode = Mode::kCommitEach;
    // PostgreSQL lock_timeout and statement_timeout of the statements (0: none). A statement
    // observed while it waits behind the tracer's own lock runs without lock_timeout.
    std::chrono::milliseconds lock_timeout{0};
    std::chrono::milliseconds statement_timeout{0};
    // How long a statement that cannot run in a transaction is watched for its wait.
    std::chrono::milliseconds observe_wait{30'000};
    std::string application_name = "migrate trace";
  };

  // Connects to `url` (kConnectionFailed when it cannot; the message has no password).
  static std::unique_ptr<LockTracer> open(const std::string& url, const Settings& settings);
  // Rolls back an open transaction; never throws.
  virtual ~LockTracer() = default;
  LockTracer(const LockTracer&) = delete;
  LockTracer& operator=(const LockTracer&) = delete;

  // Runs `statement.sql` and fills its method, duration_ms, locks and not_traced_reason, taking
  // its analyzer_locks as the relations to resolve (by name, before and after it ran). A
  // statement marked autocommit is traced only in kCommitEach mode. Returns the analyzer's names
  // that resolved neither before nor after. Throws Failure when the statement fails
  // (kStatementFailed with the database's message and SQLSTATE, kLockTimeout, kConnectionLost),
  // located at `where`; in kOneTransaction mode the transaction is then rolled back.
  virtual std::vector<std::string> trace(TracedStatement& statement,
                                         const SourceLocation& where) = 0;

  // kOneTransaction: rolls the transaction back (idempotent; never throws). No-op otherwise.
  virtual void rollback() noexcept = 0;

 protected:
  LockTracer() = default;
};

}  // namespace migrate
