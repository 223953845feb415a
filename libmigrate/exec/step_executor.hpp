// Runs one planned step against a backend and records it in the history, with the guarantees
// of DESIGN.md:
// - a migration whose statements all run in a transaction runs in one, and writes its history
//   row (and its per-statement records) inside it: a failure leaves schema and history as
//   before, plus one failed attempt;
// - otherwise a pending row comes first; consecutive transactional statements run as one
//   transaction that also advances the row's statement index, and each standalone statement
//   (CREATE INDEX CONCURRENTLY, VACUUM, `transaction off`) runs alone in autocommit, followed by
//   its own history update. A retry resumes after the last recorded statement.
// - on PostgreSQL, a transaction or standalone statement that needs table locks waits outside
//   the lock queue while other sessions hold or wait for conflicting ones (LockQueueGate); a
//   later statement of a transaction that finds a new conflict rolls the transaction back to
//   wait the same way;
// - a lock timeout (55P03) rolls the transaction back, so no lock is held while waiting, and is
//   retried with capped exponential backoff and full jitter, logging who blocked it.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/exec/exec_policy.hpp"
#include "libmigrate/exec/lock_queue_gate.hpp"
#include "libmigrate/history/history_store.hpp"
#include "migrate/run.hpp"

namespace migrate {

class StepExecutor {
 public:
  StepExecutor(Backend& backend, HistoryStore& history, RunIdentity identity,
               const ExecPolicy& policy, const Observer& observer);

  // Precondition: the backend is inside begin() for this step, and the run lock is held. Returns
  // normally on success; throws the step's Failure after recording it.
  StepOutcome run(const PlannedStep& step, const Migration& migration, const StepSession& session);

  // Every attempt written from now on records `backup` (Attempt::backup).
  void record_backup(std::string backup) { identity_.backup = std::move(backup); }

  // The outcome of the step run last, also when run() threw.
  const StepOutcome& last_outcome() const noexcept { return last_; }

  // Every attempt row this executor wrote or changed, in order (the run's in-memory history).
  const std::vector<Attempt>& written() const noexcept { return written_; }

 private:
  struct LockWait {
    std::int64_t ms = 0;
    int retries = 0;
  };

  Attempt new_attempt(const PlannedStep& step, const Migration& migration) const;
  void record_failure(Attempt& attempt, const Error& e, const StepOutcome& outcome);
  void close_interrupted(const PlannedStep& step);
  StepOutcome run_transactional(const PlannedStep& step, const Migration& migration,
                                const StepSession& session);
  StepOutcome run_in_groups(const PlannedStep& step, const Migration& migration,
                            const StepSession& session);
  StepSession session_for(const StepSession& base, const PlannedStatement& statement,
                          const Migration& migration, StepKind kind);
  // Runs one statement (refusing transaction control, following the concurrent-index protocol)
  // and appends its record.
  void run_statement(const PlannedStep& step, const PlannedStatement& statement,
                     const StepSession& session, std::vector<StatementRecord>& records);
  // Runs `body` again after a lock timeout, up to policy.lock_retries times; `undo` runs
  // before each wait (it releases the locks taken so far).
  template <typename Body, typename Undo>
  void with_lock_retries(const PlannedStep& step, Body&& body, Undo&& undo);
  void remember(const Attempt& attempt);
  // Lock-queue avoidance before the transactional statements `statements` (a migration, a
  // group) or one standalone statement: waits while the way is not clear, after `release`
  // (which must give up every lock held). The wait counts as the first statement's lock wait.
  void wait_outside_queue(const PlannedStep& step, std::span<const PlannedStatement> statements,
                          const StepSession& session, const Migration& migration,
                          const std::function<void()>& release);
  // Inside a transaction, before its later statement `s`: throws a queue conflict (which
  // with_lock_retries answers by rolling back and waiting outside the queue) when another
  // session now holds or waits for a lock `s` needs, while a retry is left.
  void look_again(const PlannedStep& step, const PlannedStatement& s, const StepSession& session);
  // After a step's backfills: its `-- migrate:backfill-check` query must find nothing
  // (kBackfillIncomplete otherwise), then each table walked is ANALYZEd.
  void finish_backfills(const PlannedStep& step, const StepSession& session,
                        const std::vector<std::string>& tables);

  Backend& backend_;
  HistoryStore& history_;
  RunIdentity identity_;
  const ExecPolicy& policy_;
  const Observer& observer_;
  LockQueueGate gate_;
  StepOutcome last_;
  // The current try's wait outside the lock queue, which its lock_wait_ms has already counted.
  std::int64_t outside_queue_ms_ = 0;
  std::chrono::milliseconds last_lock_timeout_{0};  // of the statement run last: the backoff floor
  std::map<int, LockWait> lock_waits_;              // by statement index, for the step running
  std::vector<Attempt> written_;
  std::mt19937_64 jitter_;
};

}  // namespace migrate
