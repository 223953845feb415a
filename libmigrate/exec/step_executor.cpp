#include "libmigrate/exec/step_executor.hpp"

#include <fmt/format.h>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/history/progress_checksum.hpp"
#include "libmigrate/history/timestamp.hpp"

namespace migrate {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

SqlStatement to_sql_statement(const PlannedStatement& s) {
  return SqlStatement{s.index, 0, s.line, s.column, s.sql};
}

std::string completed_checksum(const PlannedStep& step, int completed) {
  std::vector<std::string_view> done;
  for (const auto& s : step.statements)
    if (s.index <= completed) done.push_back(s.sql);
  return progress_checksum(done);
}

// Adds what the operator needs to know after a failed step to the backend's error.
Error explain_failure(Error e, const PlannedStep& step, int completed) {
  if (e.code != ErrorCode::kStatementFailed) return e;
  const bool apply = step.kind == StepKind::kApply;
  e.message = fmt::format("{} of version {} ({}) failed: {}", apply ? "apply" : "rollback",
                          step.version, step.name, e.message);
  std::string state =
      step.transactional
          ? "the migration's transaction was rolled back: nothing of it is applied"
          : fmt::format(
                "this migration runs without a transaction: its first {} statement(s) stay "
                "applied; the retry resumes after them as long as they are unchanged in the file",
                completed);
  std::string next =
      apply ? "then run `migrate apply --retry-failed`" : "then run the rollback again";
  e.hint = fmt::format("{}{}; fix {}, {}", e.hint.empty() ? "" : e.hint + "; ", state,
                       step.file.string(), next);
  return e;
}

}  // namespace

Attempt StepExecutor::new_attempt(const PlannedStep& step, const Migration& migration) const {
  Attempt a;
  a.run_id = identity_.run_id;
  a.version = step.version;
  a.name = step.name;
  a.direction = step.kind == StepKind::kApply ? Direction::kUp : Direction::kDown;
  a.checksum = migration.up.checksum;
  if (migration.down) a.down_checksum = migration.down->checksum;
  a.transactional = step.transactional;
  a.started_at = utc_timestamp();
  a.installed_by = identity_.installed_by;
  a.client = identity_.client;
  a.tool_version = identity_.tool_version;
  a.statement_index = step.resume_from;
  if (!step.transactional) a.progress_checksum = completed_checksum(step, step.resume_from);
  return a;
}

StepOutcome StepExecutor::run(const PlannedStep& step, const Migration& migration,
                              const StepSession& session, std::chrono::milliseconds lock_wait) {
  if (observer_.before_step) observer_.before_step(step);
  last_ = StepOutcome{step.version, step.name, step.kind, false, 0, 0};
  StepOutcome outcome = step.transactional ? run_transactional(step, migration, session, lock_wait)
                                           : run_autocommit(step, migration, session, lock_wait);
  if (observer_.after_step) observer_.after_step(outcome);
  return outcome;
}

void StepExecutor::record_failure(Attempt& attempt, const Error& e, const StepOutcome& outcome) {
  attempt.execution_ms = outcome.execution_ms;
  attempt.finished_at = utc_timestamp();
  attempt.success = false;
  attempt.error_message = e.message;
  attempt.error_code = e.sqlstate.empty() ? to_string(e.code) : e.sqlstate;
  attempt.error_statement = e.where.statement;
  last_ = outcome;
  if (observer_.after_step) observer_.after_step(outcome);
}

StepOutcome StepExecutor::run_transactional(const PlannedStep& step, const Migration& migration,
                                            const StepSession& session,
                                            std::chrono::milliseconds lock_wait) {
  Attempt attempt = new_attempt(step, migration);
  StepOutcome outcome{step.version, step.name, step.kind, false, 0, 0};
  auto start = Clock::now();
  try {
    for (const auto& s : step.statements) {
      if (observer_.before_statement) observer_.before_statement(step, s);
      backend_.execute(to_sql_statement(s), session);
      ++outcome.statements_run;
    }
    attempt.statement_index = outcome.statements_run;
    attempt.execution_ms = elapsed_ms(start);
    attempt.finished_at = utc_timestamp();
    attempt.success = true;
    backend_.insert_attempt(attempt);
    backend_.commit(session);  // may still fail: integrity checks and deferred constraints
  } catch (const Failure& f) {
    backend_.rollback();
    Error e = explain_failure(f.error(), step, 0);
    attempt.statement_index = outcome.statements_run;
    outcome.execution_ms = elapsed_ms(start);
    record_failure(attempt, e, outcome);
    // Recorded in a transaction of its own, after the rollback: the failed attempt is history,
    // not part of the migration.
    const StepSession record{false, session.foreign_keys, session.where};
    backend_.begin(record, lock_wait);
    backend_.insert_attempt(attempt);
    backend_.commit(record);
    throw Failure(e);
  }
  outcome.success = true;
  outcome.execution_ms = attempt.execution_ms;
  return outcome;
}

StepOutcome StepExecutor::run_autocommit(const PlannedStep& step, const Migration& migration,
                                         const StepSession& session,
                                         std::chrono::milliseconds lock_wait) {
  Attempt attempt = new_attempt(step, migration);
  StepOutcome outcome{step.version, step.name, step.kind, false, 0, 0};
  const StepSession history_session{false, session.foreign_keys, session.where};
  // The pending row is committed before any statement runs, so a crash leaves a visible trace.
  attempt.id = backend_.insert_attempt(attempt);
  backend_.commit(history_session);
  auto start = Clock::now();
  auto record = [&] {
    backend_.begin(history_session, lock_wait);
    backend_.update_attempt(attempt);
    backend_.commit(history_session);
  };
  try {
    for (const auto& s : step.statements) {
      if (s.index <= step.resume_from) continue;
      if (observer_.before_statement) observer_.before_statement(step, s);
      backend_.execute(to_sql_statement(s), session);
      ++outcome.statements_run;
      attempt.statement_index = s.index;
      attempt.progress_checksum = completed_checksum(step, s.index);
      attempt.execution_ms = elapsed_ms(start);
      record();
    }
    // Nothing can be rolled back here, but a violation must still fail the step.
    backend_.verify(session);
  } catch (const Failure& f) {
    backend_.rollback();
    Error e = explain_failure(f.error(), step, attempt.statement_index);
    outcome.execution_ms = elapsed_ms(start);
    record_failure(attempt, e, outcome);
    record();
    throw Failure(e);
  }
  attempt.execution_ms = elapsed_ms(start);
  attempt.finished_at = utc_timestamp();
  attempt.success = true;
  record();
  outcome.success = true;
  outcome.execution_ms = attempt.execution_ms;
  return outcome;
}

}  // namespace migrate
