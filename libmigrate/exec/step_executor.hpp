// Runs one planned step against a backend and records it in the history, with the guarantees
// of DESIGN.md:
// - a migration whose statements all run in a transaction runs in one, and writes its history
//   row inside it: a failure leaves schema and history as before, plus one failed attempt;
// - otherwise a pending row comes first; consecutive transactional statements run as one
//   transaction that also advances the row's statement index, and each standalone statement
//   (CREATE INDEX CONCURRENTLY, VACUUM, `transaction off`) runs alone in autocommit, followed by
//   its own history update. A retry resumes after the last recorded statement.
// - a lock timeout (55P03) rolls the transaction back, so no lock is held while waiting, and is
//   retried with capped exponential backoff and full jitter, logging who blocked it.
#pragma once

#include <chrono>
#include <random>
#include <string>

#include "libmigrate/backend/backend.hpp"
#include "migrate/migrator.hpp"

namespace migrate {

struct RunIdentity {
  std::string run_id;
  std::string installed_by;
  std::string client;
  std::string tool_version;
};

class StepExecutor {
 public:
  StepExecutor(Backend& backend, RunIdentity identity, const Options& options,
               const Observer& observer);

  // Precondition: the backend is inside begin() for this step (the lock is held and the plan
  // was made from history read under it). Returns normally on success; throws the step's
  // Failure after recording it.
  StepOutcome run(const PlannedStep& step, const Migration& migration, const StepSession& session);

  // The outcome of the step run last, also when run() threw.
  const StepOutcome& last_outcome() const noexcept { return last_; }

 private:
  Attempt new_attempt(const PlannedStep& step, const Migration& migration) const;
  void record_failure(Attempt& attempt, const Error& e, const StepOutcome& outcome);
  void close_interrupted(const PlannedStep& step);
  StepOutcome run_transactional(const PlannedStep& step, const Migration& migration,
                                const StepSession& session);
  StepOutcome run_in_groups(const PlannedStep& step, const Migration& migration,
                            const StepSession& session);
  StepSession session_for(const StepSession& base, const PlannedStatement& statement,
                          const Migration& migration, StepKind kind);
  // Runs `body` again after a lock timeout, up to options.lock_retries times; `undo` runs
  // before each wait (it releases the locks taken so far).
  template <typename Body, typename Undo>
  void with_lock_retries(const PlannedStep& step, Body&& body, Undo&& undo);
  void log(LogLevel level, const std::string& message) const;

  Backend& backend_;
  RunIdentity identity_;
  const Options& options_;
  const Observer& observer_;
  StepOutcome last_;
  std::chrono::milliseconds last_lock_timeout_{0};  // of the statement run last: the backoff floor
  std::mt19937_64 jitter_;
};

}  // namespace migrate
