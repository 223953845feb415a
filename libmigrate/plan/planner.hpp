// Turns files + history into an ordered list of steps, and refuses what must not run.
// Pure: the backend is used only to split statements with the database's own tokenizer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/plan/plan_policy.hpp"
#include "migrate/plan.hpp"

namespace migrate {

struct PlanContext {
  const MigrationSet& source;
  const std::vector<VersionStatus>& statuses;
  const PlanPolicy& policy;
  const Backend& backend;
  // True when the run lock proves that no other migrator is alive (PostgreSQL's advisory lock
  // dies with its session, SQLite's file lock with its process): an attempt left without an
  // outcome was interrupted, and apply resumes it without --retry-failed.
  bool interrupted_attempts_are_dead = false;
};

// The planned statement as the backend runs it (the offset in the file is not kept).
inline SqlStatement to_sql_statement(const PlannedStatement& s) {
  return SqlStatement{s.index, 0, s.line, s.column, s.sql};
}

// Throws kTargetNotFound unless `text` names a version in the files or the history, or is "0"
// when `allow_zero`.
Version resolve_target(const PlanContext& ctx, const std::string& text, bool allow_zero);

// Throws the first refusal `apply` makes: kChecksumMismatch, kMissingFile, kFailedMigration,
// kOutOfOrder. Each names every offending version and file.
void check_apply_preconditions(const PlanContext& ctx);

// The checks of `m`'s verify file, split and described (none without one): what apply runs after
// its statements (PlannedStep::verify) and Migrator::verify runs again. Throws kSourceInvalid for
// a statement that does not split or parse, transaction control, or one that cannot run in a
// transaction.
std::vector<PlannedStatement> verification_checks(const Backend& backend, const Migration& m);

// The highest version with an attempt in force (Plan::current_version); nullopt when none.
std::optional<std::string> highest_applied(const std::vector<VersionStatus>& statuses);

// An attempt that stopped for a reason outside its migration (lock timeouts or deadlocks after
// every retry, a lost connection, a server shutdown, the caller's cancellation) or that an
// operator closed with `migrate resolve`: apply continues it by itself, without --retry-failed.
bool resumes_by_itself(const Attempt& attempt);

// `max_steps` > 0 stops after that many steps.
Plan build_apply_plan(const PlanContext& ctx, const std::optional<std::string>& target,
                      std::size_t max_steps = 0);

// Checks every migration in range before returning (kIrreversible, kMissingFile,
// kChecksumMismatch for a changed down file, kFailedMigration for an interrupted one unless
// policy.retry_failed). `--steps N` means the N most recently applied.
Plan build_rollback_plan(const PlanContext& ctx, const RollbackTarget& target,
                         std::size_t max_steps = 0);

}  // namespace migrate
