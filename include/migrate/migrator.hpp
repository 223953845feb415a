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
#include "migrate/estimate.hpp"
#include "migrate/history.hpp"
#include "migrate/log.hpp"
#include "migrate/plan.hpp"
#include "migrate/recipe.hpp"
#include "migrate/run.hpp"
#include "migrate/source.hpp"

namespace migrate {

struct Options {
  // "sqlite:PATH", "sqlite::memory:", or a PostgreSQL URL ("postgresql://..." or libpq
  // "key=value" form).
  std::string database_url;
  std::filesystem::path migrations_dir = "migrations";
  std::string history_table = "migrate_history";
  std::string history_schema = "public";  // PostgreSQL: created if missing
  // How long to wait for the migration lock held by another run (PostgreSQL: advisory lock;
  // SQLite: the lock file beside the database; both polled, then kRunInProgress), and on SQLite
  // also for the database write lock of each step (busy timeout on BEGIN IMMEDIATE).
  std::chrono::milliseconds lock_wait{10'000};
  // PostgreSQL lock_timeout for every statement that takes a table lock; a directive wins.
  std::chrono::milliseconds lock_timeout{500};
  // PostgreSQL statement_timeout; unset: 5 min for statements in a transaction, none for
  // statements that run on their own (CREATE INDEX CONCURRENTLY, VACUUM). A directive wins.
  std::optional<std::chrono::milliseconds> statement_timeout;
  // Retries after a lock timeout (SQLSTATE 55P03): the transaction is rolled back (releasing its
  // locks) and retried after sleeping the statement's lock_timeout plus full jitter, uniform in
  // [0, min(retry_cap, retry_base * 2^(retry - 1))]: the cap bounds the jitter, not the sleep.
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
  // apply/rollback: when the connection is lost (kConnectionLost: server restart, terminated
  // backend, network), reconnect and resume for up to this long after the loss, with backoff,
  // instead of returning the error. Zero: return kConnectionLost at once (the next run resumes).
  std::chrono::milliseconds reconnect{0};
  // Start a new history even though the database holds another libmigrate history table (found
  // by its columns) and this one's does not exist. Off: apply refuses (kHistoryIncompatible)
  // before anything runs, since a mistyped history table name would apply every migration again.
  bool new_history = false;
  // PostgreSQL backfills (docs/backfills.md) wait before each batch while a streaming replica's
  // replay lag (pg_stat_replication.replay_lag) exceeds this. Zero: off. With the directive's
  // max-replica-lag too, the smaller of the two applies.
  std::chrono::milliseconds max_replica_lag{0};
  // Two-phase gating (docs/two-phase.md): apply stops before the first contract migration
  // unless kContract (contracts whose expand an earlier run applied) or kAll; rollback refuses to
  // revert an expand whose contract is applied unless kAll.
  PhaseScope phase = PhaseScope::kExpand;
  ForeignKeyMode sqlite_foreign_keys = ForeignKeyMode::kCheck;  // default per run; directive wins
  std::string application_name = "migrate";
  LogSink log;  // optional
};

// What `validate` found: every version's state, and the refusal apply would make after planning
// (absent when apply would run).
struct Validation {
  std::vector<VersionStatus> statuses;
  std::optional<Error> refusal;
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
  // pid, application_name, client address and start; SQLite: the process holding the lock file
  // beside the database). Empty when none, and for sqlite::memory:.
  Result<std::vector<DatabaseSession>> lock_holders() const;

  // Checks files and history against each other: the refusals `apply` would make. Fails with
  // the refusals apply makes before planning (kChecksumMismatch, kFailedMigration...); the ones
  // it makes after planning (a statement that does not parse, transaction control, unsafe
  // findings) come back in Validation::refusal with the statuses. Every pending migration is
  // analyzed, contract migrations included, whatever Options::phase says.
  Result<Validation> validate() const;

  // The analyzer's options with the facts `plan` reads from the live catalog (server version,
  // row estimates of `relations`, extensions, materialized views), for `lint --db`. Reads only
  // the catalog, never the history; probes run under a short lock_timeout.
  Result<AnalysisOptions> catalog_analysis_options(const std::vector<std::string>& relations) const;

  // What `apply` would do up to `target` (all pending if absent), analyzed. Executes nothing.
  // Fails with the refusals apply makes before and while planning; the ones it makes after
  // (transaction control, unsafe findings under the same allow_unsafe) are in Plan::refusal.
  Result<Plan> plan_apply(const std::optional<std::string>& target) const;

  // What `rollback` would do, with each down file analyzed. Executes nothing. Refuses
  // (kIrreversible, kChecksumMismatch) if any migration in range cannot be reverted exactly;
  // Plan::refusal holds what rollback would refuse after planning, as for plan_apply.
  Result<Plan> plan_rollback(const RollbackTarget& target) const;

  // Applies pending migrations in version order up to `target`, each in its own transaction
  // with its history row. Stops at the first failure; the failed migration leaves the schema and
  // the history as before, plus one failed attempt row. The report lists what ran.
  RunReport apply(const std::optional<std::string>& target, const Observer& observer = {});

  // Reverts applied migrations, newest first. Checks every one before reverting any.
  RunReport rollback(const RollbackTarget& target, const Observer& observer = {});

  // Records an operator's answer for a statement of unknown outcome (kOutcomeUnknown): statement
  // `statement` of `version`'s interrupted attempt (up or down, whichever is newest) did
  // (`done`) or did not take effect. Takes the migration lock; closes the interrupted attempt as
  // INTERRUPTED and appends an attempt with error code RESOLVED that ends after the statement
  // (done) or before it (not done), which the next apply or rollback resumes without
  // --retry-failed. Fails with kUsage when the version has no interrupted attempt or the
  // statement is not the one whose outcome is unknown (the message names the right one), and
  // kChecksumMismatch when the statements before it changed in the file. Returns the attempt
  // written.
  Result<Attempt> resolve(const std::string& version, int statement, bool done);

  // `migrate calibrate` (docs/estimates.md): measures this server's throughput for scans,
  // rewrites, index builds, validations and row updates on a scratch table it creates and drops
  // (PostgreSQL: in a schema of its own, migrate_calibration_<pid>; SQLite: in an in-memory
  // database, never the target), then stores the rates in the history's database, where plans
  // read them. Takes the migration lock (it waits for a running apply, and apply waits for it)
  // and creates or upgrades the history tables. Fails with kStatementFailed naming the
  // measurement that failed (nothing of the calibration is left behind), kRunInProgress, or the
  // backend's errors. Takes about 15 s on PostgreSQL at the default size on a 2-core VM.
  Result<Calibration> calibrate(const CalibrateOptions& options = {});

  // `migrate new --recipe` (docs/two-phase.md#recipes): writes the expand and contract migrations
  // into migrations_dir as create_recipe_files does, first completing from the PostgreSQL
  // catalog what `options` leaves out: the column's type (--type for rename-column, drop-column
  // and split-column, --from-type for change-column-type), whether it is NOT NULL, its default
  // (rename-column), and split-column's key type. Reads the catalog only, without the history;
  // with no database_url, or one that cannot be reached (logged), it uses `options` as given.
  // Fails with kUsage when the database has no such table or column, or as create_recipe_files.
  Result<RecipeFiles> create_recipe(const RecipeOptions& options) const;

  // The calibration plans use now; nullopt when the database was never calibrated. Reads only.
  Result<std::optional<Calibration>> calibration() const;

  // Every statement record of the history (history.md: per-statement records), by attempt and
  // statement: durations beside the plan's estimates, for `status --verbose`. Reads only; empty
  // without a history or for a format-1 history.
  Result<std::vector<StatementRecord>> statement_records() const;

 private:
  Options options_;
};

}  // namespace migrate
