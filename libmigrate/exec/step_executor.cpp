#include "libmigrate/exec/step_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <thread>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"
#include "libmigrate/exec/backfill_runner.hpp"
#include "libmigrate/exec/concurrent_index.hpp"
#include "libmigrate/exec/lock_queue_gate.hpp"
#include "libmigrate/exec/outcome_readback.hpp"
#include "libmigrate/exec/verification_check.hpp"
#include "libmigrate/history/backfill_checkpoint.hpp"
#include "libmigrate/history/progress_checksum.hpp"
#include "libmigrate/history/statement_checkpoint.hpp"
#include "libmigrate/history/timestamp.hpp"
#include "libmigrate/plan/planner.hpp"

namespace migrate {
namespace {

using Clock = std::chrono::steady_clock;

// Statements in a transaction hold their locks until commit: bounded by default. Statements that
// run on their own (concurrent index builds, VACUUM) block nobody and may take long.
constexpr std::chrono::milliseconds kTransactionalStatementTimeout{5 * 60 * 1000};
// A backfill batch lasts about its target (200 ms): one that runs for a minute is far off, and
// is retried smaller rather than left holding its rows' locks.
constexpr std::chrono::milliseconds kBatchStatementTimeout{60 * 1000};

std::int64_t elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

std::string completed_checksum(const PlannedStep& step, int completed) {
  std::vector<std::string_view> done;
  for (const auto& s : step.statements)
    if (s.index <= completed) done.push_back(s.sql);
  return progress_checksum(done);
}

// A lock timeout, a deadlock or a serialization failure: the database rolled the statement back
// and trying again later is the documented remedy.
bool is_retryable(const Error& e) {
  if (e.code == ErrorCode::kLockTimeout) return e.sqlstate == sqlstate::kLockNotAvailable;
  return e.code == ErrorCode::kStatementFailed && (e.sqlstate == sqlstate::kDeadlockDetected ||
                                                   e.sqlstate == sqlstate::kSerializationFailure);
}

// A later statement of a transaction found a new conflicting lock on a table it needs: the
// transaction rolls back (with_lock_retries) and waits outside the lock queue before it runs
// again, instead of queueing while it holds the locks of its earlier statements.
// Thrown by look_again only inside with_lock_retries, and only while a retry is left.
struct QueueConflict {
  Error error;  // kLockTimeout, 55P03, at the statement: for the retry's warning
};

// The connection broke: nothing more can be written, and the step is interrupted, not failed.
Error explain_interruption(Error e, const PlannedStep& step) {
  e.message = fmt::format("{} of version {} ({}) was interrupted: {}",
                          step.kind == StepKind::kApply ? "apply" : "rollback", step.version,
                          step.name, e.message);
  e.hint = fmt::format(
      "{}; run the same command again when the server is back: it resumes the step (the history "
      "shows how far it got), or pass --reconnect DURATION to reconnect and resume by itself",
      step.transactional ? "the step's transaction did not commit: nothing of it is applied"
                         : "statements the history records as done stay applied");
  return e;
}

// Adds what the operator needs to know after a failed step to the backend's error.
Error explain_failure(Error e, const PlannedStep& step, int completed) {
  if (e.code != ErrorCode::kStatementFailed && e.code != ErrorCode::kLockTimeout) return e;
  const bool apply = step.kind == StepKind::kApply;
  e.message = fmt::format("{} of version {} ({}) failed: {}", apply ? "apply" : "rollback",
                          step.version, step.name, e.message);
  std::string state =
      step.transactional
          ? "the migration's transaction was rolled back: nothing of it is applied"
          : fmt::format(
                "this migration does not run in one transaction: its first {} statement(s) stay "
                "applied; the retry resumes after them as long as they are unchanged in the file",
                completed);
  // A down file cannot change once applied (its checksum is recorded): the fix is in the database.
  std::string next =
      apply ? fmt::format("fix {}, then run `migrate apply --retry-failed`", step.file.string())
            : "remove the cause in the database (the down file must stay as applied), then run the "
              "rollback again with --retry-failed";
  const char* command = apply ? "apply" : "rollback";
  if (e.code == ErrorCode::kLockTimeout && e.sqlstate == sqlstate::kLockNotAvailable) {
    // The planner resumes a PostgreSQL lock timeout (55P03) by itself (resumes_by_itself), and a
    // failed down attempt leaves the version applied: a plain rerun is all it takes.
    next = fmt::format(
        "nothing in {} needs fixing: run `migrate {}` again (without --retry-failed), at a "
        "quieter time, or with a higher --lock-timeout or --lock-retries",
        step.file.string(), command);
  } else if (e.code == ErrorCode::kLockTimeout) {
    // SQLite's write lock: the attempt is recorded as LOCK_TIMEOUT, which the planner does not
    // resume without --retry-failed; --lock-timeout is PostgreSQL's and does not apply here.
    next = fmt::format(
        "nothing in {} needs fixing: once the other writer is done, run `migrate {} "
        "--retry-failed`, or raise --lock-wait (SQLite's busy timeout)",
        step.file.string(), command);
  }
  e.hint = fmt::format("{}{}; {}", e.hint.empty() ? "" : e.hint + "; ", state, next);
  return e;
}

}  // namespace

StepExecutor::StepExecutor(Backend& backend, HistoryStore& history, RunIdentity identity,
                           const ExecPolicy& policy, const Observer& observer)
    : backend_(backend),
      history_(history),
      identity_(std::move(identity)),
      policy_(policy),
      observer_(observer),
      gate_(backend, policy),
      jitter_(std::random_device{}()) {}

void StepExecutor::remember(const Attempt& attempt) {
  written_.push_back(attempt);
}

namespace {

// The plan's estimate beside the actual duration, for a statement that really ran: later
// estimates learn rates from these records (a statement skipped because its effect was already
// there took no time and would teach a wrong one, so it gets no work kind).
void record_estimate(StatementRecord& record, const PlannedStatement& s) {
  const Estimate& e = s.estimate;
  if (e.p50_ms) record.estimate_p50_ms = static_cast<std::int64_t>(std::llround(*e.p50_ms));
  if (e.p90_ms) record.estimate_p90_ms = static_cast<std::int64_t>(std::llround(*e.p90_ms));
  record.work = e.work;
  record.scale = e.scale;
}

}  // namespace

void StepExecutor::run_statement(const PlannedStep& step, const PlannedStatement& s,
                                 const StepSession& session,
                                 std::vector<StatementRecord>& records) {
  if (observer_.before_statement) observer_.before_statement(step, s);
  const SqlStatement statement = to_sql_statement(s);
  if (s.transaction_control) {
    const SourceLocation where = located_at(session.where, statement);
    throw Failure(
        Error{ErrorCode::kStatementFailed,
              fmt::format("statement {} failed: transaction control inside a migration: libmigrate "
                          "runs each migration in transactions of its own and records the history "
                          "between them",
                          s.index),
              "remove the statement; statements that cannot run in a transaction are run on "
              "their own automatically",
              where, std::string(sqlstate::kTransactionControl)});
  }
  StatementRecord record;
  record.statement_index = s.index;
  record.started_at = utc_timestamp();
  auto start = Clock::now();
  std::optional<ConcurrentIndexBuild> index;
  if (s.standalone && backend_.dialect() == Dialect::kPostgres)
    index = concurrent_index_build(s.sql);
  if (index && prepare_concurrent_index(backend_, *index, statement, session, policy_)) {
    record.rows_affected = 0;  // already built and valid
  } else {
    // A statement that may set timeouts itself leaves them unknown, also when it fails.
    struct Forget {
      Backend& backend;
      bool active;
      ~Forget() {
        if (active) backend.forget_session_settings();
      }
    } forget{backend_, s.may_change_settings};
    record.rows_affected = backend_.execute(statement, session);
    if (index) check_concurrent_index(backend_, *index, statement, session);
    record_estimate(record, s);
  }
  record.duration_ms = elapsed_ms(start);
  if (auto it = lock_waits_.find(s.index); it != lock_waits_.end()) {
    record.lock_wait_ms = it->second.ms;
    record.lock_retries = it->second.retries;
  }
  records.push_back(std::move(record));
  if (observer_.after_statement) observer_.after_statement(step, records.back());
}

StepSession StepExecutor::session_for(const StepSession& base, const PlannedStatement& statement,
                                      const Migration& migration, StepKind kind) {
  StepSession s = base;
  // The file being run decides: a revert follows the down file's directives.
  const Directives& d = kind == StepKind::kApply ? migration.directives : migration.down_directives;
  s.lock_timeout = d.lock_timeout.value_or(policy_.lock_timeout);
  s.statement_timeout = d.statement_timeout.value_or(policy_.statement_timeout.value_or(
      statement.standalone ? std::chrono::milliseconds(0) : kTransactionalStatementTimeout));
  s.transactional = !statement.standalone;
  last_lock_timeout_ = s.lock_timeout;
  return s;
}

template <typename Body, typename Undo>
void StepExecutor::with_lock_retries(const PlannedStep& step, Body&& body, Undo&& undo) {
  for (int attempt = 0;; ++attempt) {
    auto tried = Clock::now();
    outside_queue_ms_ = 0;  // counted by wait_outside_queue itself
    // A conflict met by a later statement may roll back only while a retry is left; the last try
    // sends the statement, bounded by its lock_timeout.
    gate_.allow_rollback(attempt < policy_.lock_retries);
    try {
      body();
      return;
    } catch (const QueueConflict& c) {
      undo();
      // The try's own work is not lock waiting; the wait outside the queue that follows is.
      ++lock_waits_[c.error.where.statement].retries;
      // No backoff: the next try waits outside the queue until the way is clear.
      policy_.say(LogLevel::kWarn,
                  fmt::format("version {}: {}; rolled back to wait outside the lock queue; retry "
                              "{}/{}",
                              step.version, c.error.message, attempt + 1, policy_.lock_retries));
    } catch (const Failure& f) {
      // The queue wait's own budget is the step's whole allowance: no retry after it.
      if (!is_retryable(f.error()) || attempt >= policy_.lock_retries || gate_.spent()) throw;
      undo();
      LockWait& waited = lock_waits_[f.error().where.statement];
      ++waited.retries;
      // The sessions that queued behind our lock request for up to lock_timeout need about as
      // long again to drain: wait at least that, plus full jitter, uniform in
      // [0, min(cap, base * 2^attempt)], so retrying migrators do not march in step.
      auto ceiling = std::min<std::int64_t>(policy_.retry_cap.count(),
                                            policy_.retry_base.count() << std::min(attempt, 20));
      auto wait = last_lock_timeout_ +
                  std::chrono::milliseconds(
                      std::uniform_int_distribution<std::int64_t>(0, ceiling)(jitter_));
      policy_.say(LogLevel::kWarn,
                  fmt::format("version {}: {}; {}; retry {}/{} in {} ms", step.version,
                              f.error().message, describe_blockers(backend_.last_blockers()),
                              attempt + 1, policy_.lock_retries, wait.count()));
      std::this_thread::sleep_for(wait);
      waited.ms += elapsed_ms(tried) - outside_queue_ms_;
    }
  }
}

void StepExecutor::wait_outside_queue(const PlannedStep& step,
                                      std::span<const PlannedStatement> statements,
                                      const StepSession& session, const Migration& migration,
                                      const std::function<void()>& release) {
  if (statements.empty()) return;
  const auto locks = gate_.locks_of(step, statements);
  if (locks.empty()) return;
  const PlannedStatement& first = statements.front();
  const StepSession first_session = session_for(session, first, migration, step.kind);
  const auto waited =
      gate_.wait_until_clear(step, first, locks, first_session.lock_timeout,
                             located_at(session.where, to_sql_statement(first)), release);
  if (waited.count() > 0) lock_waits_[first.index].ms += waited.count();
  outside_queue_ms_ += waited.count();
}

void StepExecutor::look_again(const PlannedStep& step, const PlannedStatement& s,
                              const StepSession& session) {
  if (!gate_.rollback_allowed()) return;
  const auto locks = gate_.locks_of(step, std::span<const PlannedStatement>(&s, 1));
  const auto blockers = gate_.conflicts_now(locks);
  if (blockers.empty()) return;
  throw QueueConflict{Error{
      ErrorCode::kLockTimeout,
      fmt::format("statement {} needs {}, and another session now holds or waits for a "
                  "conflicting lock; {}",
                  s.index, describe_locks(locks), describe_blockers(blockers)),
      "the sessions named hold or wait for a conflicting lock; wait for them, end them, or give "
      "the migration more time (--lock-timeout and --lock-retries set the budget)",
      located_at(session.where, to_sql_statement(s)), std::string(sqlstate::kLockNotAvailable)}};
}

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
  a.backup = identity_.backup;
  a.statement_index = step.resume_from;
  if (!step.transactional) a.progress_checksum = completed_checksum(step, step.resume_from);
  return a;
}

StepOutcome StepExecutor::run(const PlannedStep& step, const Migration& migration,
                              const StepSession& session) {
  if (observer_.before_step) observer_.before_step(step);
  // For `migrate status` from another terminal: a transactional step's history row is not
  // visible before it commits.
  backend_.announce_step(fmt::format(
      "{} {} ({}){}, {} statement(s){}", step.kind == StepKind::kApply ? "apply" : "revert",
      step.version, step.name, step.transactional ? "" : " without one transaction",
      step.statements.size(),
      step.resume_from > 0 ? fmt::format(", resuming after statement {}", step.resume_from)
                           : std::string()));
  last_ = StepOutcome{step.version, step.name, step.kind, false, 0, 0};
  lock_waits_.clear();
  gate_.start_step();
  StepOutcome outcome = step.transactional ? run_transactional(step, migration, session)
                                           : run_in_groups(step, migration, session);
  if (observer_.after_step) observer_.after_step(outcome);
  return outcome;
}

void StepExecutor::close_interrupted(const PlannedStep& step) {
  if (!step.interrupted_attempt) return;
  Attempt old = *step.interrupted_attempt;
  old.success = false;
  old.finished_at = utc_timestamp();
  old.error_code = "INTERRUPTED";
  old.error_message = fmt::format(
      "interrupted after statement {}: the process running it ({}) ended before it "
      "finished; run {} resumed it",
      old.statement_index, old.client, identity_.run_id);
  history_.update(old);
  remember(old);
}

void StepExecutor::record_failure(Attempt& attempt, const Error& e, const StepOutcome& outcome) {
  attempt.execution_ms = outcome.execution_ms;
  attempt.finished_at = utc_timestamp();
  attempt.success = false;
  attempt.error_message = e.message;
  attempt.error_code = e.sqlstate.empty() ? to_string(e.code) : e.sqlstate;
  // A check of the verify file points into that file, not at a statement of the step's.
  attempt.error_statement = e.code == ErrorCode::kVerificationFailed ? 0 : e.where.statement;
  // The statement in flight failed, so its outcome is known, unless that is the failure. A
  // backfill's checkpoint stays: its committed batches are where a retry resumes.
  if (e.code != ErrorCode::kOutcomeUnknown && !read_backfill_checkpoint(attempt))
    attempt.checkpoint.reset();
  last_ = outcome;
  if (observer_.after_step) observer_.after_step(outcome);
}

StepOutcome StepExecutor::run_transactional(const PlannedStep& step, const Migration& migration,
                                            const StepSession& session) {
  Attempt attempt = new_attempt(step, migration);
  StepOutcome outcome{step.version, step.name, step.kind, false, 0, 0};
  auto start = Clock::now();
  bool open = true;  // run() is entered inside begin()
  std::vector<StatementRecord> records;
  try {
    with_lock_retries(
        step,
        [&] {
          // The run entered run() inside begin(), a transaction that has taken no lock yet: it
          // is given up only if the step has to wait.
          wait_outside_queue(step, step.statements, session, migration, [&] {
            if (open) backend_.rollback();
            open = false;
          });
          if (!open) backend_.begin(session, policy_.lock_wait);
          open = true;
          outcome.statements_run = 0;
          records.clear();
          records.reserve(step.statements.size());
          for (const auto& s : step.statements) {
            if (outcome.statements_run > 0) look_again(step, s, session);
            run_statement(step, s, session_for(session, s, migration, step.kind), records);
            ++outcome.statements_run;
          }
          // Inside the transaction: a check that fails rolls the migration back.
          run_verification(backend_, step);
          attempt.statement_index = outcome.statements_run;
          attempt.execution_ms = elapsed_ms(start);
          attempt.finished_at = utc_timestamp();
          attempt.success = true;
          close_interrupted(step);
          attempt.id = history_.insert(attempt, records);
          backend_.commit(session);  // may still fail: integrity checks and deferred constraints
          open = false;
        },
        [&] {
          backend_.rollback();
          open = false;
        });
  } catch (const Failure& f) {
    backend_.rollback();
    if (f.error().code == ErrorCode::kConnectionLost) {
      last_ = outcome;
      throw Failure(explain_interruption(f.error(), step));
    }
    Error e = explain_failure(f.error(), step, 0);
    attempt.statement_index = outcome.statements_run;
    outcome.execution_ms = elapsed_ms(start);
    record_failure(attempt, e, outcome);
    // Recorded in a transaction of its own, after the rollback: the failed attempt is history,
    // not part of the migration.
    const StepSession record{false, session.foreign_keys, session.where};
    backend_.begin(record, policy_.lock_wait);
    close_interrupted(step);
    attempt.id = history_.insert(attempt);
    backend_.commit(record);
    remember(attempt);
    throw Failure(e);
  }
  remember(attempt);
  outcome.success = true;
  outcome.execution_ms = attempt.execution_ms;
  return outcome;
}

void StepExecutor::finish_backfills(const PlannedStep& step, const StepSession& session,
                                    const std::vector<std::string>& tables) {
  if (step.backfill_check) {
    const auto left = backend_.query(*step.backfill_check);
    if (!left.empty()) {
      std::string sample;
      for (const auto& v : left.front())
        sample += (sample.empty() ? "" : ", ") + v.value_or("NULL");
      throw Failure(Error{
          ErrorCode::kBackfillIncomplete,
          fmt::format("the backfill check of version {} still finds rows after the last batch "
                      "(first: {}): `{}`",
                      step.version, sample, *step.backfill_check),
          "rows the backfill did not reach were written while it ran (by code that does not yet "
          "write the new form) or the statement's WHERE does not cover them; fix the cause, then "
          "run `migrate apply --retry-failed` (the batches done stay done: only the check runs "
          "again)",
          SourceLocation{step.file.string(), step.version, 0, 0, 0},
          {}});
    }
  }
  // Fresh statistics for the rows the backfill rewrote, so the planner's estimates follow; they
  // are advice, and a lock timeout here does not fail the migration.
  std::vector<std::string> analyzed;
  for (const auto& table : tables) {
    if (std::find(analyzed.begin(), analyzed.end(), table) != analyzed.end()) continue;
    analyzed.push_back(table);
    StepSession autocommit = session;
    autocommit.transactional = false;
    autocommit.lock_timeout = policy_.lock_timeout;
    try {
      backend_.execute(SqlStatement{0, 0, 0, 0, "ANALYZE " + table}, autocommit);
    } catch (const Failure& f) {
      if (f.error().code == ErrorCode::kConnectionLost) throw;
      policy_.say(LogLevel::kWarn, fmt::format("version {}: ANALYZE {} after its backfill did not "
                                               "run: {}; run it later by hand",
                                               step.version, table, f.error().message));
    }
  }
}

StepOutcome StepExecutor::run_in_groups(const PlannedStep& step, const Migration& migration,
                                        const StepSession& session) {
  Attempt attempt = new_attempt(step, migration);
  StepOutcome outcome{step.version, step.name, step.kind, false, 0, 0};
  const StepSession history_session{false, session.foreign_keys, session.where};
  // The pending row is committed before any statement runs, so a crash leaves a visible trace.
  close_interrupted(step);
  attempt.id = history_.insert(attempt);
  backend_.commit(history_session);
  remember(attempt);
  auto start = Clock::now();
  // The checksum of the statements through `checksummed`, extended as statements complete.
  ProgressChecksum progress;
  std::size_t checksummed = 0;  // statements of step.statements added to `progress`
  auto checksum_through = [&](int through) {
    while (checksummed < step.statements.size() && step.statements[checksummed].index <= through)
      progress.add(step.statements[checksummed++].sql);
    return progress.value();
  };
  // Writes the progress through statement `through`, with the records of the statements run
  // since; the caller adopts it once committed, so a rolled-back group never counts as done.
  auto advance = [&](int through, const std::vector<StatementRecord>& records) {
    Attempt next = attempt;
    next.statement_index = through;
    next.progress_checksum = checksum_through(through);
    next.checkpoint.reset();
    next.execution_ms = elapsed_ms(start);
    history_.update(next, records);
    return next;
  };
  // Marks statement `s` as sent (committed before it runs), so a run that dies while it runs
  // leaves its outcome to be found out instead of assumed.
  auto mark_sent = [&](const PlannedStatement& s) {
    StatementCheckpoint checkpoint{s.index, {}};
    if (backend_.dialect() == Dialect::kPostgres)
      checkpoint.indexes_before = indexes_before_unnamed_build(backend_, s);
    backend_.begin(history_session, policy_.lock_wait);
    Attempt marked = attempt;
    marked.checkpoint = write_statement_checkpoint(checkpoint);
    history_.update(marked);
    backend_.commit(history_session);
    attempt = marked;
  };
  // Records statement `s` done in a transaction of its own (it ran outside one).
  auto record_done = [&](const PlannedStatement& s, const std::vector<StatementRecord>& records) {
    backend_.begin(history_session, policy_.lock_wait);
    Attempt next = advance(s.index, records);
    backend_.commit(history_session);
    attempt = next;
    remember(attempt);
  };
  // The statement an earlier run sent without recording its outcome.
  std::optional<StatementCheckpoint> uncertain;
  if (step.uncertain_statement > 0) {
    Attempt sent;
    sent.checkpoint = step.uncertain_checkpoint;
    uncertain = read_statement_checkpoint(sent);
  }
  std::vector<std::string> backfilled;  // tables, for the final check and ANALYZE
  try {
    std::size_t i = 0;
    const auto& all = step.statements;
    while (i < all.size()) {
      if (all[i].index <= step.resume_from) {
        if (all[i].backfill && !all[i].backfill->table.empty())
          backfilled.push_back(all[i].backfill->table);
        ++i;
        continue;
      }
      if (all[i].backfill) {
        const PlannedStatement& s = all[i];
        if (observer_.before_statement) observer_.before_statement(step, s);
        StepSession batch = session_for(session, s, migration, step.kind);
        batch.transactional = true;
        if (batch.statement_timeout.count() == 0) batch.statement_timeout = kBatchStatementTimeout;
        StatementRecord record;
        record.statement_index = s.index;
        record.started_at = utc_timestamp();
        const auto started = Clock::now();
        BackfillRunner runner(
            backend_, history_, policy_, observer_,
            [&](const std::function<void()>& body, const std::function<void()>& undo) {
              with_lock_retries(step, body, undo);
            });
        const BackfillRunner::Result done = runner.run(step, s, attempt, batch);
        record.rows_affected = done.rows;
        record.duration_ms = elapsed_ms(started);
        // A resumed backfill's duration covers only the rest of its walk: not a whole run.
        if (s.backfill->batches_done == 0) record_estimate(record, s);
        if (auto it = lock_waits_.find(s.index); it != lock_waits_.end()) {
          record.lock_wait_ms = it->second.ms;
          record.lock_retries = it->second.retries;
        }
        backfilled.push_back(done.table);
        ++outcome.statements_run;
        if (observer_.after_statement) observer_.after_statement(step, record);
        record_done(s, {record});
        ++i;
        continue;
      }
      if (all[i].autocommit) {
        const PlannedStatement& s = all[i];
        const StepSession statement_session = session_for(session, s, migration, step.kind);
        if (uncertain && uncertain->sent == s.index) {
          // Until it is found out, this attempt carries the doubt (and what the read-back needs).
          attempt.checkpoint = step.uncertain_checkpoint;
          const auto found =
              s.recovery == OutcomeRecovery::kReadBack
                  ? read_back_sent_statement(backend_, s, *uncertain, statement_session, policy_)
                  : SentOutcome::kNotDone;
          if (s.recovery == OutcomeRecovery::kUnknown) {
            throw Failure(Error{
                ErrorCode::kOutcomeUnknown,
                fmt::format("statement {} ran outside a transaction in a run that died before "
                            "recording its outcome",
                            s.index),
                fmt::format("check whether it took effect, then run `migrate resolve {} "
                            "--statement {} --done` or `--not-done`",
                            step.version, s.index),
                located_at(session.where, to_sql_statement(s)),
                {}});
          }
          uncertain.reset();
          if (found == SentOutcome::kDone) {
            StatementRecord record;
            record.statement_index = s.index;
            record.started_at = utc_timestamp();
            ++outcome.statements_run;
            record_done(s, {record});
            ++i;
            continue;
          }
        }
        // Before it is marked sent: a run that dies while waiting leaves nothing in doubt.
        wait_outside_queue(step, std::span<const PlannedStatement>(&s, 1), session, migration,
                           [] {});
        mark_sent(s);
        std::vector<StatementRecord> records;
        bool first_try = true;
        with_lock_retries(
            step,
            [&] {
              // After a lock timeout, wait outside the queue again before the next try.
              if (!first_try)
                wait_outside_queue(step, std::span<const PlannedStatement>(&s, 1), session,
                                   migration, [] {});
              first_try = false;
              records.clear();
              run_statement(step, s, statement_session, records);
            },
            [] {});
        ++outcome.statements_run;
        record_done(s, records);
        ++i;
        continue;
      }
      // A group: the run of consecutive statements that may share a transaction, or one
      // statement of a `transaction off` migration, committed together with the history update
      // that records them, so their outcome is never in doubt.
      std::size_t end = i + 1;
      if (!all[i].standalone)
        while (end < all.size() && !all[end].standalone) ++end;
      StepSession group = session;
      group.transactional = true;
      // A `transaction off` statement's transaction is only there to record it: its migration's
      // integrity check runs at the end, as without a transaction.
      StepSession group_commit = group;
      group_commit.transactional = !all[i].standalone;
      with_lock_retries(
          step,
          [&] {
            wait_outside_queue(step, std::span<const PlannedStatement>(all.data() + i, end - i),
                               session, migration, [] {});
            backend_.begin(group, policy_.lock_wait);
            std::vector<StatementRecord> records;
            for (std::size_t k = i; k < end; ++k) {
              if (k > i) look_again(step, all[k], group);
              run_statement(step, all[k], session_for(group, all[k], migration, step.kind),
                            records);
            }
            Attempt next = advance(all[end - 1].index, records);
            backend_.commit(group_commit);
            attempt = next;
            remember(attempt);
          },
          [&] { backend_.rollback(); });
      outcome.statements_run += static_cast<int>(end - i);
      i = end;
    }
    if (std::any_of(all.begin(), all.end(),
                    [](const PlannedStatement& st) { return st.backfill.has_value(); }))
      finish_backfills(step, session, backfilled);
    // Nothing can be rolled back here, but a violation must still fail the step.
    backend_.verify(session);
    if (!step.verify.empty()) {
      // Right after the statements, in a transaction of their own; committed like the step's.
      backend_.begin(history_session, policy_.lock_wait);
      run_verification(backend_, step);
      backend_.commit(history_session);
    }
  } catch (const Failure& f) {
    backend_.rollback();
    if (f.error().code == ErrorCode::kConnectionLost) {
      last_ = outcome;
      throw Failure(explain_interruption(f.error(), step));
    }
    Error e = explain_failure(f.error(), step, attempt.statement_index);
    outcome.execution_ms = elapsed_ms(start);
    record_failure(attempt, e, outcome);
    backend_.begin(history_session, policy_.lock_wait);
    history_.update(attempt);
    backend_.commit(history_session);
    remember(attempt);
    throw Failure(e);
  }
  attempt.execution_ms = elapsed_ms(start);
  attempt.finished_at = utc_timestamp();
  attempt.success = true;
  backend_.begin(history_session, policy_.lock_wait);
  history_.update(attempt);
  backend_.commit(history_session);
  remember(attempt);
  outcome.success = true;
  outcome.execution_ms = attempt.execution_ms;
  return outcome;
}

}  // namespace migrate
