// Runs one planned step against a backend and records it in the history, with the guarantees
// of DESIGN.md: a transactional step writes its history row inside its own transaction, so a
// failure leaves schema and history as before plus one failed attempt; a non-transactional step
// writes a pending row first and advances its statement index as it goes.
#pragma once

#include <chrono>
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
  StepExecutor(Backend& backend, RunIdentity identity, const Observer& observer)
      : backend_(backend), identity_(std::move(identity)), observer_(observer) {}

  // Precondition: the backend is inside begin() for this step's session (the lock is held and
  // the plan was made from history read under it). Returns normally on success; throws the
  // step's Failure after recording it.
  StepOutcome run(const PlannedStep& step, const Migration& migration, const StepSession& session,
                  std::chrono::milliseconds lock_wait);

  // The outcome of the step run last, also when run() threw.
  const StepOutcome& last_outcome() const noexcept { return last_; }

 private:
  Attempt new_attempt(const PlannedStep& step, const Migration& migration) const;
  void record_failure(Attempt& attempt, const Error& e, const StepOutcome& outcome);
  StepOutcome run_transactional(const PlannedStep& step, const Migration& migration,
                                const StepSession& session, std::chrono::milliseconds lock_wait);
  StepOutcome run_autocommit(const PlannedStep& step, const Migration& migration,
                             const StepSession& session, std::chrono::milliseconds lock_wait);

  Backend& backend_;
  RunIdentity identity_;
  const Observer& observer_;
  StepOutcome last_;
};

}  // namespace migrate
