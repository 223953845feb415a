// What the executor needs to know of the run's options, and nothing else (the planner has its
// own PlanPolicy): the Migrator fills it from Options.
#pragma once

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>

#include "migrate/log.hpp"

namespace migrate {

struct ExecPolicy {
  std::chrono::milliseconds lock_wait{10'000};  // run lock and SQLite write lock
  // The wait for the run lock alone, when shorter than lock_wait: ensure waits for another
  // replica's run in slices, while every other wait of the run keeps lock_wait.
  std::optional<std::chrono::milliseconds> run_lock_wait;
  std::chrono::milliseconds lock_timeout{500};                 // per statement; a directive wins
  std::optional<std::chrono::milliseconds> statement_timeout;  // unset: by statement kind
  int lock_retries = 8;
  std::chrono::milliseconds retry_base{200};
  std::chrono::milliseconds retry_cap{10'000};
  std::chrono::milliseconds preflight_min_age{30'000};
  std::chrono::milliseconds wait_for_quiet{0};
  // PostgreSQL: wait outside the lock queue while another session holds or waits for a
  // conflicting lock (LockQueueGate, docs/postgresql.md#lock-queue-avoidance).
  bool queue_avoidance = true;
  LogSink log;
  // The caller's cancellation: honoured before each step and after each backfill batch, the
  // points where the history is exact and the next run resumes by itself.
  std::stop_token stop;

  void say(LogLevel level, const std::string& message) const {
    if (log) log(level, message);
  }
};

// Who runs, written into every attempt.
struct RunIdentity {
  std::string run_id;
  std::string installed_by;
  std::string client;  // host:pid:application
  std::string tool_version;
  // The backup file the run wrote before its first change (Options::backup_dir), if any.
  std::optional<std::string> backup;
};

}  // namespace migrate
