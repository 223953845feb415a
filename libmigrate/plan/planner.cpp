#include "libmigrate/plan/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"
#include "libmigrate/history/backfill_checkpoint.hpp"
#include "libmigrate/history/progress_checksum.hpp"
#include "libmigrate/history/statement_checkpoint.hpp"
#include "libmigrate/plan/phase_gate.hpp"
#include "libmigrate/sql/batch_placeholders.hpp"
#include "libmigrate/sql/postgres_batch_rewrite.hpp"

namespace migrate {
namespace {

std::string file_of(const PlanContext& ctx, const VersionStatus& s, bool down = false) {
  auto v = Version::parse(s.version);
  const Migration* m = v ? ctx.source.find(*v) : nullptr;
  if (!m) return fmt::format("V{}__{}.{}.sql", s.version, s.name, down ? "down" : "up");
  if (down) return m->down ? m->down->path.string() : std::string();
  return m->up.path.string();
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

// Statements a non-transactional attempt of the same direction completed before it failed or
// was interrupted; the step resumes after them if they are unchanged in the file.
int resume_point(const VersionStatus& s, const PlannedStep& step) {
  const auto& last = s.last_attempt;
  const Direction dir = step.kind == StepKind::kApply ? Direction::kUp : Direction::kDown;
  if (!last || last->direction != dir || last->transactional || last->success.value_or(false) ||
      last->statement_index == 0) {
    return 0;
  }
  std::vector<std::string_view> done;
  for (const auto& st : step.statements)
    if (st.index <= last->statement_index) done.push_back(st.sql);
  if (static_cast<int>(done.size()) == last->statement_index && last->progress_checksum &&
      progress_checksum(done) == *last->progress_checksum) {
    return last->statement_index;
  }
  fail(ErrorCode::kFailedMigration,
       fmt::format("version {}: the first {} statement(s) of {} already ran in an attempt that did "
                   "not finish, and they changed since",
                   s.version, last->statement_index, step.file.string()),
       "restore those statements as they ran; only the statement that failed and the ones after "
       "it may be edited before the retry",
       {step.file.string(), s.version, last->statement_index});
}

// A statement sent outside a transaction by a run that died, whose effect neither the catalog
// shows nor a second run would undo: only the operator can say. --retry-failed does not decide
// it either.
void refuse_unknown_outcome(const PlannedStep& step, const VersionStatus& status) {
  const PlannedStatement* s = nullptr;
  for (const auto& st : step.statements)
    if (st.index == step.uncertain_statement) s = &st;
  const Attempt& a = *status.last_attempt;
  // A read-back that already found the outcome unknowable is not tried again: only the
  // operator's answer moves on from there.
  if (s && s->autocommit && s->recovery != OutcomeRecovery::kUnknown &&
      a.error_code != to_string(ErrorCode::kOutcomeUnknown))
    return;
  std::string first_line = s ? s->sql.substr(0, s->sql.find('\n')) : std::string();
  if (first_line.size() > 120) first_line = first_line.substr(0, 117) + "...";
  fail(ErrorCode::kOutcomeUnknown,
       fmt::format("version {}: the {} run {} sent statement {}{}{} outside a transaction, and "
                   "its outcome was never recorded (the run died or lost its connection, and the "
                   "catalog cannot tell); whether it took effect is unknown{}",
                   status.version, to_string(a.direction), a.client, step.uncertain_statement,
                   first_line.empty() ? "" : " (", first_line.empty() ? "" : first_line + ")",
                   s ? "" : " (the file no longer has that statement as it ran)"),
       fmt::format("check the database for its effect (e.g. `\\l` for CREATE DATABASE, "
                   "`\\db` for a tablespace), then record the answer with `migrate resolve {} "
                   "--statement {} --done` (it took effect) or `--not-done` (it did not); the "
                   "next run then goes on from there. --retry-failed never runs it again on its "
                   "own.",
                   status.version, step.uncertain_statement),
       s ? SourceLocation{step.file.string(), step.version, s->index, s->line, s->column}
         : SourceLocation{step.file.string(), step.version, step.uncertain_statement, 0, 0});
}

// The backend's description of a statement; a parse error it reports relative to the statement
// is placed in the file (file, version, statement, line:column of the token).
StatementTraits describe_in_file(const Backend& backend, const SqlStatement& s,
                                 const MigrationFile& file, const Version& version) {
  try {
    return backend.describe(s);
  } catch (const Failure& f) {
    // Only an error in the SQL points into the file; an internal failure keeps its own text.
    if (f.error().code != ErrorCode::kSourceInvalid) throw;
    Error e = f.error();
    e.where.file = file.path.string();
    e.where.version = version.str();
    e.where.statement = s.index;
    if (e.where.line > 0) {
      e.where.column = e.where.line == 1 ? s.column + e.where.column - 1 : e.where.column;
      e.where.line = s.line + e.where.line - 1;
    } else {
      e.where.line = s.line;
      e.where.column = s.column;
    }
    throw Failure(e);
  }
}

// The first word of a statement (it starts at its first significant character), upper-cased.
std::string first_keyword(const std::string& sql) {
  std::string word;
  for (char c : sql) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return word;
}

// The batched form of statement `st` of a `-- migrate:backfill` file, or nullopt when it runs
// as written (DDL, small INSERTs...). The table, key and batch SQL are resolved against the
// catalog later (plan_backfills); here only the file decides.
std::optional<PlannedBackfill> backfill_form(const PlanContext& ctx, const PlannedStatement& st,
                                             const BackfillOptions& options,
                                             const MigrationFile& file, const Version& version) {
  const Dialect dialect = ctx.backend.dialect();
  const bool placeholders = st.sql.find(":batch_") != std::string::npos &&
                            !find_batch_placeholders(st.sql, dialect).empty();
  PlannedBackfill b;
  if (placeholders) {
    b.form = BackfillForm::kExplicit;
  } else {
    const bool data_change = dialect == Dialect::kPostgres ? pg_batch_target(st.sql).has_value()
                                                           : (first_keyword(st.sql) == "UPDATE" ||
                                                              first_keyword(st.sql) == "DELETE");
    if (!data_change) return std::nullopt;
    if (dialect != Dialect::kPostgres) {
      fail(ErrorCode::kSourceInvalid,
           fmt::format("version {}: statement {} of a `-- migrate:backfill` migration has no "
                       "batch bounds: on SQLite a backfill names them itself",
                       version.str(), st.index),
           "add `WHERE <key> > :batch_start AND <key> <= :batch_end` to the statement "
           "(docs/backfills.md, explicit form)",
           {file.path.string(), version.str(), st.index, st.line, st.column});
    }
    b.form = BackfillForm::kAutomatic;
  }
  b.key_option = options.key.value_or("");
  if (options.batch_size) b.batch_size = *options.batch_size;
  // A batch size given alone is kept; with a target (or with neither) the size adapts.
  b.adaptive = !options.batch_size || options.target_batch_time.has_value();
  b.target_batch_time = options.target_batch_time.value_or(dialect == Dialect::kPostgres
                                                               ? std::chrono::milliseconds(200)
                                                               : std::chrono::milliseconds(50));
  b.pause = options.pause;
  b.max_replica_lag = options.max_replica_lag.value_or(ctx.policy.max_replica_lag);
  if (ctx.policy.max_replica_lag.count() > 0 && ctx.policy.max_replica_lag < b.max_replica_lag)
    b.max_replica_lag = ctx.policy.max_replica_lag;
  return b;
}

PlannedStep make_step(const PlanContext& ctx, const Migration& m, StepKind kind,
                      const VersionStatus& status) {
  const bool down = kind == StepKind::kRevert;
  const MigrationFile& file = down ? *m.down : m.up;
  const Directives& directives = down ? m.down_directives : m.directives;
  PlannedStep step;
  step.kind = kind;
  step.version = m.version.str();
  step.name = m.name;
  step.file = file.path;
  step.checksum = file.checksum;
  step.transactional = directives.transactional;  // and no statement that must run on its own
  step.declared_class = m.directives.declared_class;
  step.phase = m.directives.phase;
  step.foreign_keys = directives.foreign_keys.value_or(ctx.policy.sqlite_foreign_keys);
  for (auto& s :
       ctx.backend.split(file.sql, SourceLocation{file.path.string(), m.version.str(), 0, 0, 0})) {
    StatementTraits traits = describe_in_file(ctx.backend, s, file, m.version);
    PlannedStatement st{s.index, s.line, s.column, std::move(s.sql)};
    st.takes_relation_lock = traits.takes_relation_lock;
    st.relations = std::move(traits.relations);
    st.transaction_control = traits.transaction_control;
    st.may_change_settings = traits.may_change_settings;
    st.autocommit = traits.autocommit_only;
    st.recovery = traits.recovery;
    if (directives.backfill)
      st.backfill = backfill_form(ctx, st, *directives.backfill, file, m.version);
    if (!directives.backfill && st.sql.find(":batch_") != std::string::npos &&
        !find_batch_placeholders(st.sql, ctx.backend.dialect()).empty()) {
      fail(ErrorCode::kSourceInvalid,
           fmt::format("version {}: statement {} names :batch_start or :batch_end, but its file "
                       "is not a backfill",
                       m.version.str(), st.index),
           "add `-- migrate:backfill` to the file's leading comment block (docs/backfills.md)",
           {file.path.string(), m.version.str(), st.index, st.line, st.column});
    }
    if (st.backfill) {
      // Each batch is a transaction of its own, with its checkpoint.
      st.standalone = true;
      st.standalone_reason = "-- migrate:backfill (batched)";
      step.transactional = false;
    } else if (!directives.transactional) {
      st.standalone = true;
      st.standalone_reason = "-- migrate:transaction off";
    } else if (!traits.can_run_in_transaction) {
      st.standalone = true;
      st.standalone_reason = traits.non_transactional_reason;
      step.transactional = false;
    }
    step.statements.push_back(std::move(st));
  }
  if (!down && m.verify && ctx.policy.run_verification) {
    step.verify_file = m.verify->path;
    step.verify = verification_checks(ctx.backend, m);
  }
  step.resume_from = resume_point(status, step);
  if (status.last_attempt && !status.last_attempt->success.has_value() &&
      status.last_attempt->direction == (down ? Direction::kDown : Direction::kUp)) {
    step.interrupted_attempt = status.last_attempt;
  }
  // The newest attempt in this direction sent a statement outside a transaction and never
  // recorded its outcome (it died, lost its connection, or found the outcome unknowable).
  if (const auto& last = status.last_attempt;
      last && last->direction == (down ? Direction::kDown : Direction::kUp) &&
      !last->success.value_or(false) && !last->transactional) {
    if (auto sent = read_statement_checkpoint(*last);
        sent && sent->sent == last->statement_index + 1) {
      step.uncertain_statement = sent->sent;
      step.uncertain_checkpoint = last->checkpoint.value_or("");
    }
  }
  if (step.uncertain_statement > 0) refuse_unknown_outcome(step, status);
  step.backfill_check = directives.backfill_check;
  // A backfill an earlier attempt of this direction left part-way resumes after its last
  // committed batch.
  if (const auto& last = status.last_attempt;
      last && last->direction == (down ? Direction::kDown : Direction::kUp) &&
      !last->success.value_or(false) && !last->transactional) {
    if (auto done = read_backfill_checkpoint(*last);
        done && done->statement == last->statement_index + 1) {
      for (auto& st : step.statements) {
        if (st.index != done->statement || !st.backfill) continue;
        st.backfill->resume_after = done->after;
        st.backfill->rows_done = done->rows;
        st.backfill->batches_done = done->batches;
        st.backfill->elapsed_ms_done = done->elapsed_ms;
        st.backfill->finished = done->finished;
      }
    }
  }
  // Statements that already ran stay applied: what is left runs in groups after them, even if
  // the file now asks for one transaction.
  if (step.resume_from > 0 || step.uncertain_statement > 0) step.transactional = false;
  const int resume_from = step.resume_from;
  const char* dir = down ? "down" : "up";
  if (step.transactional) {
    step.history_writes = {fmt::format("insert '{}' attempt for version {} with success=true "
                                       "inside the migration's transaction",
                                       dir, step.version),
                           "on failure: roll the transaction back, then insert one attempt with "
                           "success=false, the error and the failing statement"};
  } else {
    step.history_writes = {
        fmt::format("insert '{}' attempt for version {} with success=NULL before statement {}", dir,
                    step.version, resume_from + 1),
        "after each transactional group (inside its transaction) and each standalone statement: "
        "update statement_index",
        "at the end: set success=true, or success=false with the error and the failing statement"};
  }
  if (!step.verify.empty())
    step.history_writes.push_back(fmt::format(
        "before success=true: run the {} check(s) of {}{}; a check that finds a problem fails the "
        "step with VERIFICATION_FAILED and the rows it returned",
        step.verify.size(), step.verify_file.filename().string(),
        step.transactional ? " inside the migration's transaction"
                           : " in a transaction of their own"));
  return step;
}

}  // namespace

Version resolve_target(const PlanContext& ctx, const std::string& text, bool allow_zero) {
  auto v = Version::parse(text);
  if (!v) {
    fail(ErrorCode::kTargetNotFound, fmt::format("'{}' is not a version", text),
         "write a version such as V012, 12 or 1.2");
  }
  if (allow_zero && v->str() == "0") return *v;
  if (ctx.source.find(*v)) return *v;
  for (const auto& s : ctx.statuses)
    if (s.version == v->str()) return *v;
  fail(ErrorCode::kTargetNotFound,
       fmt::format("version {} is neither a migration file nor in the history", text),
       allow_zero ? "run `migrate status` to list versions; `--target 0` reverts everything"
                  : "run `migrate status` to list versions");
}

namespace {

// The highest applied version below `below`: what `--target` keeps to revert `below` and
// everything above it.
std::optional<std::string> previous_applied(const std::vector<VersionStatus>& statuses,
                                            const Version& below) {
  std::optional<std::string> out;
  for (const auto& s : statuses)  // sorted by version
    if (s.last_applied && *Version::parse(s.version) < below) out = s.version;
  return out;
}

}  // namespace

std::vector<PlannedStatement> verification_checks(const Backend& backend, const Migration& m) {
  std::vector<PlannedStatement> checks;
  if (!m.verify) return checks;
  const SourceLocation where{m.verify->path.string(), m.version.str(), 0, 0, 0};
  for (auto& s : backend.split(m.verify->sql, where)) {
    StatementTraits traits = describe_in_file(backend, s, *m.verify, m.version);
    // A check reads: it runs inside the step's transaction (or one of its own), which it must
    // neither end nor escape.
    if (traits.transaction_control || !traits.can_run_in_transaction) {
      fail(ErrorCode::kSourceInvalid,
           fmt::format("version {}: verify statement {} cannot run in a transaction ({})",
                       m.version.str(), s.index,
                       traits.transaction_control ? "transaction control"
                                                  : traits.non_transactional_reason),
           "a verify file holds queries (SELECT ...) that check the migration's result; move "
           "the statement to the up file",
           located_at(where, s));
    }
    checks.push_back(PlannedStatement{s.index, s.line, s.column, std::move(s.sql)});
  }
  return checks;
}

std::optional<std::string> highest_applied(const std::vector<VersionStatus>& statuses) {
  std::optional<std::string> out;
  for (const auto& s : statuses)  // sorted by version
    if (s.last_applied) out = s.version;
  return out;
}

bool resumes_by_itself(const Attempt& a) {
  if (a.success != false) return false;
  const std::string_view code = a.error_code;
  return code == sqlstate::kLockNotAvailable || code == sqlstate::kDeadlockDetected ||
         code == sqlstate::kSerializationFailure || code == sqlstate::kResolved ||
         code == to_string(ErrorCode::kOutcomeUnknown) || code == sqlstate::kInterrupted ||
         code == to_string(ErrorCode::kCancelled) || sqlstate::is_connection_loss(code);
}

void check_apply_preconditions(const PlanContext& ctx) {
  std::vector<std::string> modified, missing, failed, out_of_order;
  auto top = highest_applied(ctx.statuses);
  for (const auto& s : ctx.statuses) {
    switch (s.state) {
      case State::kModified:
        modified.push_back(fmt::format("version {} ({}): applied {}, file now {}", s.version,
                                       file_of(ctx, s), s.last_applied->checksum, s.file_checksum));
        break;
      case State::kMissing:
        missing.push_back(
            fmt::format("version {} ({}) applied at {}", s.version, s.name,
                        s.last_applied ? s.last_applied->finished_at.value_or("?") : "?"));
        break;
      case State::kFailed:
      case State::kRunning: {
        const Attempt& a = *s.last_attempt;
        if (!s.has_file) {
          missing.push_back(
              fmt::format("version {} ({}): its last attempt did not finish and left statements "
                          "applied, but its file is gone",
                          s.version, s.name));
          break;
        }
        if (s.state == State::kRunning && ctx.interrupted_attempts_are_dead &&
            a.direction == Direction::kUp) {
          break;  // resumed by this apply
        }
        // An interrupted down can only be finished by rollback; apply must not build on it.
        const bool interrupted_down = s.state == State::kRunning && a.direction == Direction::kDown;
        if (interrupted_down) {
          failed.push_back(fmt::format(
              "version {} ({}): a rollback never finished after statement {}; finish it "
              "first with `migrate rollback --retry-failed`",
              s.version, file_of(ctx, s, true), a.statement_index));
        } else if (!ctx.policy.retry_failed && !resumes_by_itself(a)) {
          failed.push_back(fmt::format("version {} ({}): {} attempt {}", s.version, file_of(ctx, s),
                                       to_string(a.direction), describe_stop(a)));
        }
        break;
      }
      case State::kOutOfOrder:
        if (!ctx.policy.allow_out_of_order)
          out_of_order.push_back(
              fmt::format("version {} ({}) is pending but version {} is already applied", s.version,
                          file_of(ctx, s), top.value_or("?")));
        break;
      default:
        break;
    }
  }
  if (!modified.empty()) {
    fail(ErrorCode::kChecksumMismatch,
         fmt::format("{} applied migration(s) changed since they were applied:{}", modified.size(),
                     join(modified)),
         "restore the files as they were applied (git checkout); put new changes in a new "
         "migration");
  }
  if (!missing.empty()) {
    fail(ErrorCode::kMissingFile,
         fmt::format("{} applied migration(s) have no file any more:{}", missing.size(),
                     join(missing)),
         "restore the missing files from version control");
  }
  if (!failed.empty()) {
    fail(ErrorCode::kFailedMigration,
         fmt::format("{} migration(s) did not complete in an earlier run:{}", failed.size(),
                     join(failed)),
         "fix the migration file, then run `migrate apply --retry-failed` (a transactional "
         "migration "
         "left nothing behind; a non-transactional one resumes at the failed statement); a failed "
         "transactional migration can also be withdrawn by deleting its files; an interrupted "
         "rollback is finished with `migrate rollback --retry-failed`");
  }
  if (!out_of_order.empty()) {
    fail(ErrorCode::kOutOfOrder,
         fmt::format("{} pending migration(s) are older than applied ones:{}", out_of_order.size(),
                     join(out_of_order)),
         "renumber them above the newest applied version, or pass --allow-out-of-order to apply "
         "them anyway");
  }
}

Plan build_apply_plan(const PlanContext& ctx, const std::optional<std::string>& target,
                      std::size_t max_steps) {
  Plan plan;
  plan.current_version = highest_applied(ctx.statuses);
  std::optional<Version> limit;
  if (target) limit = resolve_target(ctx, *target, false);
  std::vector<const VersionStatus*> candidates;
  for (const auto& s : ctx.statuses) {
    const bool runnable =
        s.state == State::kPending ||
        (s.state == State::kOutOfOrder && ctx.policy.allow_out_of_order) ||
        ((s.state == State::kFailed || s.state == State::kRunning) && ctx.policy.retry_failed &&
         s.last_attempt->direction == Direction::kUp) ||
        (s.state == State::kRunning && ctx.interrupted_attempts_are_dead &&
         s.last_attempt->direction == Direction::kUp) ||
        (s.state == State::kFailed && resumes_by_itself(*s.last_attempt) &&
         s.last_attempt->direction == Direction::kUp);
    if (!runnable || !s.has_file) continue;
    auto v = *Version::parse(s.version);
    if (limit && *limit < v) continue;
    candidates.push_back(&s);
  }
  // Two-phase gating before any file is split: a contract that waits is not part of the plan.
  ApplyGate gate = gate_apply(ctx, candidates, target.has_value());
  plan.phase_stop = std::move(gate.stop);
  for (std::size_t i = 0; i < gate.allowed; ++i) {
    const VersionStatus& s = *candidates[i];
    const Migration& m = *ctx.source.find(*Version::parse(s.version));
    PlannedStep step = make_step(ctx, m, StepKind::kApply, s);
    if (m.directives.completes) {
      step.completes = m.directives.completes->str();
      step.expand_applied = gate.contracts_with_expand_applied.count(s.version) > 0;
    }
    plan.steps.push_back(std::move(step));
    if (max_steps > 0 && plan.steps.size() >= max_steps) break;
  }
  plan.target_version = target ? std::optional(limit->str())
                               : (plan.steps.empty() ? plan.current_version
                                                     : std::optional(plan.steps.back().version));
  return plan;
}

Plan build_rollback_plan(const PlanContext& ctx, const RollbackTarget& target,
                         std::size_t max_steps) {
  Plan plan;
  plan.current_version = highest_applied(ctx.statuses);
  std::vector<const VersionStatus*> applied;
  for (const auto& s : ctx.statuses)
    if (s.last_applied) applied.push_back(&s);
  // Most recently applied first: the order migrations are reverted in.
  std::sort(applied.begin(), applied.end(), [](const VersionStatus* a, const VersionStatus* b) {
    return a->last_applied->id > b->last_applied->id;
  });
  std::vector<const VersionStatus*> chosen;
  if (int(target.version.has_value()) + int(target.steps.has_value()) +
          int(target.only.has_value()) >
      1)
    fail(ErrorCode::kUsage, "a rollback takes one of a target version, a step count or --only",
         "give one of --target, --steps and --only");
  if (target.only) {
    const Version only = resolve_target(ctx, *target.only, false);
    const VersionStatus* found = nullptr;
    std::vector<std::string> newer;
    for (const auto& s : ctx.statuses) {
      if (!s.last_applied) continue;
      if (s.version == only.str()) found = &s;
      if (only < *Version::parse(s.version))
        newer.push_back(fmt::format("version {} ({})", s.version, s.name));
    }
    if (!found)
      fail(ErrorCode::kTargetNotFound,
           fmt::format("version {} is not applied: there is nothing to revert", *target.only),
           "run `migrate status` to list the applied versions");
    if (!newer.empty() && !ctx.policy.allow_out_of_order)
      fail(ErrorCode::kOutOfOrder,
           fmt::format("version {} ({}) is not the newest applied migration; {} newer one(s) "
                       "are applied:{}",
                       found->version, found->name, newer.size(), join(newer)),
           fmt::format("revert them too with `migrate rollback --target {}`; or, when the newer "
                       "ones do not depend on it, revert version {} alone with `migrate rollback "
                       "--only {} --allow-out-of-order` (they stay applied, it becomes pending "
                       "below them, and `migrate apply --allow-out-of-order` applies it again)",
                       previous_applied(ctx.statuses, only).value_or("0"), found->version,
                       found->version));
    chosen.push_back(found);
  } else if (target.version) {
    Version keep = resolve_target(ctx, *target.version, true);
    for (const auto* s : applied)
      if (keep < *Version::parse(s->version)) chosen.push_back(s);
  } else {
    int n = target.steps.value_or(1);
    if (n < 1)
      fail(ErrorCode::kUsage, "--steps must be at least 1",
           "pass --steps 1 to revert the newest migration");
    for (const auto* s : applied)
      if (static_cast<int>(chosen.size()) < n) chosen.push_back(s);
  }
  // What stays applied afterwards, highest version first.
  const std::set<const VersionStatus*> reverted(chosen.begin(), chosen.end());
  for (const auto* s : applied) {
    if (reverted.count(s)) continue;
    if (!plan.target_version || *Version::parse(*plan.target_version) < *Version::parse(s->version))
      plan.target_version = s->version;
  }

  refuse_rollback_across_phases(ctx, chosen);
  std::vector<std::string> irreversible, missing, changed, interrupted;
  for (const auto* s : chosen) {
    if (s->state == State::kRunning && !ctx.policy.retry_failed &&
        !ctx.interrupted_attempts_are_dead)
      interrupted.push_back(fmt::format("version {} ({}): its last {} attempt never finished",
                                        s->version, s->name,
                                        to_string(s->last_attempt->direction)));
    if (!s->has_file) {
      missing.push_back(fmt::format("version {} ({})", s->version, s->name));
    } else if (!s->reversible) {
      irreversible.push_back(
          fmt::format("version {} ({}) has no down file", s->version, file_of(ctx, *s)));
    } else if (s->last_applied->down_checksum &&
               s->file_down_checksum != s->last_applied->down_checksum) {
      changed.push_back(fmt::format("version {} ({}): applied with {}, file now {}", s->version,
                                    file_of(ctx, *s, true), *s->last_applied->down_checksum,
                                    *s->file_down_checksum));
    }
  }
  if (!interrupted.empty()) {
    fail(ErrorCode::kFailedMigration,
         fmt::format("cannot roll back while a migration is interrupted:{}", join(interrupted)),
         "check the database, then pass --retry-failed to run the interrupted step again (a "
         "non-transactional one resumes after its last completed statement)");
  }
  if (!missing.empty()) {
    fail(ErrorCode::kMissingFile,
         fmt::format("cannot roll back migrations whose files are gone:{}", join(missing)),
         "restore the files from version control");
  }
  if (!irreversible.empty()) {
    fail(ErrorCode::kIrreversible,
         fmt::format(
             "rollback refused before doing anything: {} migration(s) in range are irreversible:{}",
             irreversible.size(), join(irreversible)),
         "choose a --target at or above the newest irreversible version, or write the missing down "
         "file");
  }
  if (!changed.empty()) {
    fail(ErrorCode::kChecksumMismatch,
         fmt::format("rollback refused before doing anything: down file(s) changed since apply:{}",
                     join(changed)),
         "restore the down files as they were when applied (git checkout)");
  }
  for (const auto* s : chosen) {
    if (max_steps > 0 && plan.steps.size() >= max_steps) break;
    plan.steps.push_back(
        make_step(ctx, *ctx.source.find(*Version::parse(s->version)), StepKind::kRevert, *s));
  }
  return plan;
}

}  // namespace migrate
