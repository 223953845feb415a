// The entry point for services and the CLI: plan, apply, roll back, inspect.
//
// A Migrator is built from explicit Options; it reads no environment variables and keeps no
// global state. One Migrator is not safe to use from two threads at once; two Migrators (or
// two processes) on the same database are serialized by the migration lock.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "migrate/analysis.hpp"
#include "migrate/error.hpp"
#include "migrate/history.hpp"
#include "migrate/log.hpp"
#include "migrate/source.hpp"

namespace migrate {

struct Options {
  // "sqlite:PATH", "sqlite::memory:"; PostgreSQL URLs are recognised but not served yet.
  std::string database_url;
  std::filesystem::path migrations_dir = "migrations";
  std::string history_table = "migrate_history";
  std::string history_schema = "public";  // PostgreSQL: created if missing
  // How long to wait for the migration lock (PostgreSQL: advisory lock, polled; SQLite: busy
  // timeout on BEGIN IMMEDIATE).
  std::chrono::milliseconds lock_wait{10'000};
  // PostgreSQL lock_timeout for every statement that takes a table lock; a directive wins.
  std::chrono::milliseconds lock_timeout{500};
  // PostgreSQL statement_timeout; unset: 5 min for statements in a transaction, none for
  // statements that run on their own (CREATE INDEX CONCURRENTLY, VACUUM). A directive wins.
  std::optional<std::chrono::milliseconds> statement_timeout;
  // Retries after a lock timeout (SQLSTATE 55P03): the transaction is rolled back (releasing its
  // locks) and retried after a capped exponential backoff with full jitter.
  int lock_retries = 8;
  std::chrono::milliseconds retry_base{200};
  std::chrono::milliseconds retry_cap{10'000};
  // Pre-flight: transactions older than this that hold or wait for locks on the plan's tables
  // are reported before anything runs.
  std::chrono::milliseconds preflight_min_age{30'000};
  // Apply migrations even when the analyzer reports unsuppressed error-level findings (they are
  // logged). Off: apply refuses them with kUnsafeMigration before anything runs.
  bool allow_unsafe = false;
  // Pre-flight: wait up to this long for them to finish, then refuse (kBusy). Zero: report only.
  std::chrono::milliseconds wait_for_quiet{0};
  bool allow_out_of_order = false;
  // Retry versions whose newest attempt failed or was interrupted, instead of refusing.
  bool retry_failed = false;
  ForeignKeyMode sqlite_foreign_keys = ForeignKeyMode::kCheck;  // default per run; directive wins
  std::string application_name = "migrate";
  LogSink log;  // optional
};

// One statement as the planner split it.
struct PlannedStatement {
  int index = 0;  // 1-based within its file
  int line = 0;   // 1-based position of the statement's first character in the file
  int column = 0;
  std::string sql;
  // Runs on its own in autocommit (CREATE INDEX CONCURRENTLY, VACUUM, `transaction off`), not in
  // a transaction with its neighbours; `standalone_reason` says why.
  bool standalone = false;
  std::string standalone_reason;
  bool takes_relation_lock = false;
  std::vector<std::string> relations;
};

enum class StepKind { kApply, kRevert };

struct PlannedStep {
  StepKind kind = StepKind::kApply;
  std::string version;
  std::string name;
  std::filesystem::path file;
  std::string checksum;
  bool transactional = true;
  std::optional<MigrationClass> declared_class;
  std::optional<Phase> phase;
  ForeignKeyMode foreign_keys = ForeignKeyMode::kCheck;
  int resume_from = 0;  // statements already done by an interrupted non-transactional attempt
  // The attempt of a process that died mid-step (no outcome recorded): this run closes it as
  // failed ("interrupted") so the history stays exact.
  std::optional<Attempt> interrupted_attempt;
  std::vector<PlannedStatement> statements;
  std::vector<std::string> history_writes;  // what the run will record, in words
  // What the analyzer says about an apply step: class, locks, findings (absent for reverts).
  std::optional<MigrationAnalysis> analysis;
};

struct Plan {
  std::string dialect;                         // "sqlite"
  std::optional<std::string> current_version;  // highest applied, before the plan
  std::optional<std::string> target_version;   // where the plan ends
  std::vector<PlannedStep> steps;
};

struct StepOutcome {
  std::string version;
  std::string name;
  StepKind kind = StepKind::kApply;
  bool success = false;
  std::int64_t execution_ms = 0;
  int statements_run = 0;
};

struct RunReport {
  std::string run_id;
  std::vector<StepOutcome> steps;  // in execution order, including a failed one last
  std::optional<Error> error;      // set when the run stopped early
};

// Progress callbacks, called on the calling thread. All are optional.
struct Observer {
  std::function<void(const PlannedStep&)> before_step;
  std::function<void(const PlannedStep&, const PlannedStatement&)> before_statement;
  std::function<void(const StepOutcome&)> after_step;
};

struct RollbackTarget {
  std::optional<std::string> version;  // keep this version applied, revert everything above
  std::optional<int> steps;            // or: revert this many newest applied versions
};

class Migrator {
 public:
  explicit Migrator(Options options);

  const Options& options() const noexcept { return options_; }

  // Files only: loads and validates the migration directory. No database access.
  Result<MigrationSet> load_source() const;

  // Per-version state. Creates nothing: a database without a history table has every version
  // pending.
  Result<std::vector<VersionStatus>> status() const;

  // Sessions holding the migration lock now (PostgreSQL: a running apply or rollback, with its
  // pid, application_name, client address and start). Empty on SQLite or when none.
  Result<std::vector<DatabaseSession>> lock_holders() const;

  // Checks files and history against each other: the refusals `apply` would make.
  Result<std::vector<VersionStatus>> validate() const;

  // What `apply` would do up to `target` (all pending if absent). Executes nothing. Fails with
  // the same refusal errors as apply.
  Result<Plan> plan_apply(const std::optional<std::string>& target) const;

  // What `rollback` would do. Executes nothing. Refuses (kIrreversible, kChecksumMismatch) if any
  // migration in range cannot be reverted exactly.
  Result<Plan> plan_rollback(const RollbackTarget& target) const;

  // Applies pending migrations in version order up to `target`, each in its own transaction
  // with its history row. Stops at the first failure; the failed migration leaves the schema and
  // the history as before, plus one failed attempt row. The report lists what ran.
  RunReport apply(const std::optional<std::string>& target, const Observer& observer = {});

  // Reverts applied migrations, newest first. Checks every one before reverting any.
  RunReport rollback(const RollbackTarget& target, const Observer& observer = {});

 private:
  Options options_;
};

}  // namespace migrate
