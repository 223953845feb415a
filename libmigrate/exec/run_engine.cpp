#include "libmigrate/exec/run_engine.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/exec/preflight.hpp"
#include "libmigrate/exec/step_executor.hpp"
#include "libmigrate/plan/backfill_plan.hpp"
#include "libmigrate/plan/plan_estimates.hpp"

namespace migrate {
namespace {

StepSession session_for(const PlannedStep& step) {
  return StepSession{step.transactional, step.foreign_keys,
                     SourceLocation{step.file.string(), step.version, 0, 0, 0}};
}

std::int64_t newest_id(const std::vector<Attempt>& attempts) {
  std::int64_t id = 0;
  for (const auto& a : attempts) id = std::max(id, a.id);
  return id;
}

}  // namespace

RunReport run_plan(Backend& backend, const RunRequest& request, const RunIdentity& identity,
                   const Observer& observer) {
  RunReport report;
  report.run_id = identity.run_id;
  const ExecPolicy& policy = request.exec_policy;
  HistoryStore history(backend, request.history);
  StepExecutor executor(backend, history, identity, policy, observer);
  bool in_step = false;  // a failure inside a step is reported with that step's outcome
  try {
    backend.acquire_run_lock(policy.run_lock_wait.value_or(policy.lock_wait));

    // Read once, under the lock (SQLite: in a BEGIN IMMEDIATE transaction, so a writer that
    // ignores the run lock is waited out). Nothing is created yet: a refused run leaves no
    // table behind.
    StepSession probe{true, request.plan_policy.sqlite_foreign_keys, {}};
    std::vector<Attempt> attempts;
    backend.begin(probe, policy.lock_wait);
    try {
      attempts = history.read_attempts();
      backend.commit(StepSession{false, probe.foreign_keys, {}});
    } catch (...) {
      backend.rollback();
      throw;
    }
    std::int64_t known_last_id = newest_id(attempts);
    auto statuses = derive_status(request.source, attempts);
    attempts.clear();
    attempts.shrink_to_fit();

    // The run lock dies with its holder (PostgreSQL's advisory lock with its session, SQLite's
    // file lock with its process): holding it proves that an attempt left without an outcome
    // belongs to a dead run. On PostgreSQL a statement that run sent may still be running on
    // the server: wait for it first.
    const bool postgres = backend.dialect() == Dialect::kPostgres;
    if (postgres) wait_for_interrupted_statements(backend, statuses, policy);
    PlanContext ctx{request.source, statuses, request.plan_policy, backend, true};
    if (request.validate_apply) check_apply_preconditions(ctx);
    // Splitting every file up front also means a malformed statement anywhere in the plan is
    // reported before the first migration runs. SQLite describes each statement by preparing it
    // on the database: one read transaction for all of them, not a lock and a schema check each.
    if (!postgres) backend.begin_read();
    Plan plan;
    try {
      plan = request.make_plan(ctx);
    } catch (...) {
      backend.rollback();
      throw;
    }
    backend.rollback();  // ends the read transaction; nothing was written
    plan.dialect = backend.dialect();
    report.phase_stop = plan.phase_stop;
    if (plan.phase_stop) policy.say(LogLevel::kInfo, "apply " + plan.phase_stop->reason);
    plan_backfills(plan, backend);
    // Apply and rollback alike: a file that controls transactions, or an unsafe finding in an up
    // file (apply) or a down file (rollback), is refused before the history is touched.
    analyze_plan(request.source, plan, backend, request.analysis_policy);
    refuse_before_running(plan, request.analysis_policy);
    // Estimated now so that each statement's record keeps its estimate beside its duration.
    estimate_plan(plan, backend, read_estimate_inputs(history, plan.dialect),
                  request.analysis_policy.probe_lock_timeout);
    preflight(backend, plan, policy);
    if (request.backup && !plan.steps.empty()) {
      policy.say(LogLevel::kInfo, "backing up the database before the first change");
      report.backup = request.backup(backend, plan);
      executor.record_backup(*report.backup);
      policy.say(LogLevel::kInfo, "backup written to " + *report.backup);
    }

    // Everything that could refuse has passed: create the history tables, or upgrade a table of
    // an older format in place, in a transaction of its own with the lock held.
    backend.begin(probe, policy.lock_wait);
    try {
      int found = history.ensure_current();
      if (found > 0 && found < kHistoryFormatVersion)
        policy.say(LogLevel::kInfo,
                   fmt::format("history table {} upgraded from format {} to {}",
                               history.attempts_sql_name(), found, kHistoryFormatVersion));
      if (found < kHistoryFormatVersion) known_last_id = history.last_id();
      backend.commit(StepSession{false, probe.foreign_keys, {}});
    } catch (...) {
      backend.rollback();
      throw;
    }

    for (const auto& step : plan.steps) {
      if (policy.stop.stop_requested()) {
        std::string done;
        for (const auto& o : report.steps) done += (done.empty() ? "" : ", ") + o.version;
        fail(ErrorCode::kCancelled,
             fmt::format(
                 "cancelled before version {} started{}", step.version,
                 done.empty()
                     ? std::string("; nothing ran")
                     : fmt::format(" (this run {} {})",
                                   step.kind == StepKind::kApply ? "applied" : "reverted", done)),
             "the history is exact: run the same command again to go on");
      }
      StepSession session = session_for(step);
      session.transactional = true;
      backend.begin(session, policy.lock_wait);
      if (!postgres) {
        std::int64_t now = 0;
        try {
          now = history.last_id();
        } catch (...) {
          backend.rollback();
          throw;
        }
        if (now != known_last_id) {
          backend.rollback();
          fail(ErrorCode::kRunInProgress,
               fmt::format("the history changed during this run (newest attempt {} instead of "
                           "{}): another runner that does not take the migration lock wrote it; "
                           "version {} was not started",
                           now, known_last_id, step.version),
               "make sure every runner takes the migration lock (libmigrate writing history format "
               "2 or later), then run the command again");
        }
      }
      const Migration& migration = *request.source.find(*Version::parse(step.version));
      policy.say(LogLevel::kInfo,
                 fmt::format("{} version {} ({}): {} statement(s){}",
                             step.kind == StepKind::kApply ? "applying" : "reverting", step.version,
                             step.name, step.statements.size(),
                             step.transactional ? "" : ", no transaction"));
      in_step = true;
      const std::size_t written_before = executor.written().size();
      report.steps.push_back(executor.run(step, migration, session_for(step)));
      in_step = false;
      for (std::size_t i = written_before; i < executor.written().size(); ++i)
        known_last_id = std::max(known_last_id, executor.written()[i].id);
      policy.say(LogLevel::kInfo, fmt::format("version {} done in {} ms", step.version,
                                              report.steps.back().execution_ms));
    }
    backend.release_run_lock();
  } catch (const Failure& f) {
    report.error = f.error();
    if (in_step) report.steps.push_back(executor.last_outcome());
  } catch (const std::exception& e) {
    report.error = Error{
        ErrorCode::kInternal, e.what(), "this is a bug in libmigrate; please report it", {}, {}};
  }
  return report;
}

}  // namespace migrate
