// The entry point for services and the CLI: check or migrate the schema at start-up, plan,
// apply, roll back, inspect (docs/embedding.md walks through a service).
//
// Contract shared by every member:
// - Errors are values. Each call returns Result<T> (or a RunReport whose `error` is set); none
//   throws, except Result<T>::value() on an error (BadResultAccess, a programming error).
//   Error::code is one of the stable codes of error.hpp, Error::message names the file, version
//   and statement where they are known, Error::hint says how to fix it.
// - No global state, no environment. A Migrator reads only its Options: no environment
//   variables (libpq itself still reads PG* for the parts a PostgreSQL URL leaves out), no
//   files besides the migrations directory (none with an embedded set), no logging except
//   through Options::log. Secrets of the database URL never appear in errors or log lines.
// - Thread safety. The const members may be called from several threads at once on one
//   Migrator; the others (apply, rollback, ensure, baseline, resolve, calibrate) must not run
//   concurrently with any call on the same Migrator. Any number of Migrators, in any number of
//   threads or processes, may work on one database: runs that change it are serialized by the
//   migration lock (PostgreSQL: an advisory lock; SQLite: a lock file beside the database).
// - Every call opens its own connection(s) and closes them before returning.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "migrate/analysis.hpp"
#include "migrate/error.hpp"
#include "migrate/estimate.hpp"
#include "migrate/history.hpp"
#include "migrate/lock_trace.hpp"
#include "migrate/log.hpp"
#include "migrate/plan.hpp"
#include "migrate/recipe.hpp"
#include "migrate/rollback_check.hpp"
#include "migrate/run.hpp"
#include "migrate/source.hpp"
#include "migrate/verification.hpp"

namespace migrate {

// What a Migrator works from: a plain struct the caller fills (the CLI fills it from its flags,
// environment and migrate.toml; a service from its own configuration). Every field has a working
// default except database_url.
struct Options {
  // "sqlite:PATH", "sqlite::memory:" (SQLite), or a PostgreSQL URL ("postgresql://..." or libpq
  // "key=value" form; docs/cli.md#database-urls). Required by every call that reads the database.
  std::string database_url;
  // Where the migration files are: a directory read at each call, or a set compiled into the
  // program with migrate_embed (docs/embedding.md). With embedded_migrations set,
  // migrations_dir is not read.
  std::filesystem::path migrations_dir = "migrations";
  std::optional<EmbeddedMigrations> embedded_migrations;
  // The history's attempt table, beside which <table>_statements and <table>_calibration live
  // (docs/history.md).
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
  // PostgreSQL lock-queue avoidance (docs/postgresql.md#lock-queue-avoidance): before a statement,
  // or a transaction of statements, that needs table locks (the analyzer's), look at pg_locks for
  // other sessions holding or waiting for a conflicting lock on those tables; while there are
  // any (whose transaction is at least 100 ms old), wait outside the lock queue, holding no lock,
  // for at most the time the lock retries could take, then fail with kLockTimeout. A statement
  // is sent only once the way is clear, so the application never queues behind it; its
  // lock_timeout still bounds the race. Off (`--no-queue-avoidance`): statements are sent at
  // once and wait in the queue for up to lock_timeout, as before. SQLite ignores it.
  bool queue_avoidance = true;
  // Pre-flight: transactions older than this that hold or wait for locks on the plan's tables
  // are reported before anything runs.
  std::chrono::milliseconds preflight_min_age{30'000};
  // Apply migrations even when the analyzer reports unsuppressed error-level findings (they are
  // logged). Off: apply refuses them with kUnsafeMigration before anything runs.
  bool allow_unsafe = false;
  // Analysis start point (`--check-after V`, `checks.start-after`): findings of migrations at or
  // below this version are reported but never refused, so a fresh development or CI database
  // can replay a project's history written before it adopted libmigrate. Migrations above it
  // are gated as usual. Unset: every migration is gated. A value that is not a version fails
  // the calls that plan with kUsage.
  std::optional<std::string> check_after;
  // Pre-flight: wait up to this long for them to finish, then refuse (kBusy). Zero: report only.
  std::chrono::milliseconds wait_for_quiet{0};
  // Apply pending versions lower than an applied one, instead of refusing (kOutOfOrder).
  bool allow_out_of_order = false;
  // Retry versions whose newest attempt failed or was interrupted, instead of refusing.
  bool retry_failed = false;
  // apply/rollback: when the connection is lost (kConnectionLost: server restart, terminated
  // backend, network), reconnect and resume for up to this long after the loss, with backoff,
  // instead of returning the error. Zero: return kConnectionLost at once (the next run resumes).
  std::chrono::milliseconds reconnect{0};
  // Run each migration's verify file after its statements (docs/file-format.md#verification).
  // Off: the checks are not run (check_rollback's scratch database turns them off: a schema-only
  // copy has none of the rows they may look at).
  bool run_verification = true;
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
  // apply and rollback: back up the database into this directory before the run's first change
  // (docs/operations.md#backups), when the plan has steps to run: after the migration lock is
  // taken and the history re-read under it, before the history is created or upgraded and before
  // the first step. PostgreSQL: `pg_dump --format=custom` into <db>-<UTC time>-<range>.dump
  // (restore with pg_restore); SQLite: SQLite's online backup into <db>-<UTC time>-<range>.sqlite3
  // (sqlite::memory: cannot be backed up). The file's path is in RunReport::backup and in every
  // attempt of the run (Attempt::backup). Any failure (pg_dump missing or failing, the directory
  // not writable, the disk full) refuses the run with kBackupFailed, changing nothing and leaving
  // no partial file. The directory is created if missing. Unset: no backup.
  std::optional<std::filesystem::path> backup_dir;
  // The pg_dump program PostgreSQL backups run: a path, or a name looked up in the PATH of the
  // calling process. It must be able to dump the server (its major version at least the
  // server's; Debian's /usr/bin/pg_dump wrapper picks the newest installed). It runs with an
  // argument vector, never through a shell, inherits the process's environment, and gets the
  // URL's password (if any) through PGPASSWORD, never on its command line.
  std::filesystem::path pg_dump = "pg_dump";
  // PostgreSQL application_name of every session, and part of the `client` the history records.
  std::string application_name = "migrate";
  // Where progress messages go; without a sink nothing is logged. Called on the calling thread,
  // except the "still waiting for a lock" lines (log.hpp).
  LogSink log;
};

// What Migrator::ensure does at start-up (docs/embedding.md#start-up-modes).
enum class EnsureMode {
  // Applies what is pending, if anything: first a read-only check (no lock, no write) and, only
  // when something is pending, an apply that waits up to EnsureOptions::timeout for the
  // migration lock another starting replica holds. Returns once the schema has every migration
  // apply would run (Options::phase and EnsureOptions::version bound it).
  kApplyIfNeeded,
  // Checks only: fails unless every migration apply would run is applied (kSchemaBehind), no
  // applied file changed (kChecksumMismatch) and no attempt failed in a way the next apply
  // refuses until someone acts (kFailedMigration: a statement's own error, an unfinished
  // rollback). An attempt the next apply resumes by itself (a lock timeout, a lost connection, a
  // cancellation, a process that died, one running now) only makes the schema behind. Takes no
  // lock and writes nothing; a database without a history (or a SQLite file that does not
  // exist) is behind. Migrations applied that this program does not have (a newer release ran)
  // are fine: the schema is ahead, as during a rolling deploy.
  kVerifyOnly,
  // For processes that must not migrate: waits until another process has applied
  // EnsureOptions::version and every version below it, polling read-only every poll_interval,
  // for at most timeout (then kSchemaBehind). Fails at once, without waiting out the bound, on
  // what verify-only reports as kFailedMigration or kChecksumMismatch: those do not fix
  // themselves.
  kWaitForVersion,
};
const char* to_string(EnsureMode m) noexcept;  // "apply-if-needed", "verify-only", ...

// What Migrator::ensure is asked to do, filled by the caller.
struct EnsureOptions {
  EnsureMode mode = EnsureMode::kApplyIfNeeded;
  // kWaitForVersion: the version to wait for (required). kApplyIfNeeded and kVerifyOnly: apply
  // or require migrations up to this version only; unset: all of them. A version the set does
  // not have fails with kTargetNotFound.
  std::optional<std::string> version;
  // kApplyIfNeeded: how long to wait for another process's run (the migration lock), instead of
  // Options::lock_wait. kWaitForVersion: how long to wait for the version. Not used by
  // kVerifyOnly.
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  // kWaitForVersion: how often the history is read while waiting.
  std::chrono::milliseconds poll_interval{500};
};

// What Migrator::ensure did, on success.
struct EnsureReport {
  EnsureMode mode = EnsureMode::kApplyIfNeeded;
  // The highest applied version when ensure was called and when it returned (nullopt: none).
  std::optional<std::string> version_before;
  std::optional<std::string> version_after;
  // kApplyIfNeeded when something was pending: the run that applied it (its steps, and
  // phase_stop when a contract migration waits for its deploy). Empty otherwise.
  RunReport run;
  // Time spent waiting. kApplyIfNeeded: from the first try for the migration lock to the first
  // step (or to the end of a run that found everything applied by another replica), planning
  // included. kWaitForVersion: until the version was there.
  std::chrono::milliseconds waited{0};
};

// What `validate` found: every version's state, and the refusal apply would make after planning
// (absent when apply would run).
struct Validation {
  std::vector<VersionStatus> statuses;  // as status() returns them
  std::optional<Error> refusal;
};

// One project's migrations against one database, as Options describe them. Cheap to construct; it
// holds no connection between calls. See the top of this file for the contract every member
// shares (errors, environment, threads, connections).
class Migrator {
 public:
  // Keeps `options`; connects to nothing until a call needs the database. Never fails: bad
  // options are reported by the first call that uses them.
  explicit Migrator(Options options);

  // The options given to the constructor, unchanged.
  const Options& options() const noexcept { return options_; }

  // Files only: loads and validates the migration directory, or the embedded set. No database
  // access. Fails with kSourceInvalid naming every offending file.
  Result<MigrationSet> load_source() const;

  // What a service calls at start-up (EnsureMode says what each mode does). On success the
  // report says which versions the schema had before and has now. Errors: kSchemaBehind,
  // kChecksumMismatch, kFailedMigration (verify-only, wait-for-version); every error apply
  // returns (apply-if-needed), kRunInProgress when another run held the lock past
  // EnsureOptions::timeout; kTargetNotFound for a version the set lacks; kCancelled when `stop`
  // was requested (between steps or backfill batches, or while waiting). Safe to call from many
  // processes at once: each migration is applied exactly once.
  Result<EnsureReport> ensure(const EnsureOptions& ensure_options, const Observer& observer = {},
                              std::stop_token stop = {});
  // ensure with the default EnsureOptions in mode `mode` (no version bound, no observer, no stop).
  Result<EnsureReport> ensure(EnsureMode mode) {
    EnsureOptions defaults;
    defaults.mode = mode;
    return ensure(defaults);
  }

  // Per-version state. Creates nothing: a database without a history table has every version
  // pending.
  Result<std::vector<VersionStatus>> status() const;

  // Sessions holding the migration lock now (PostgreSQL: a running apply or rollback, with its
  // pid, application_name, client address and start; SQLite: the process holding the lock file
  // beside the database). Empty when none, and for sqlite::memory:.
  Result<std::vector<DatabaseSession>> lock_holders() const;

  // Runs the verify files (docs/file-format.md#verification) of the applied migrations again,
  // or of `version` alone, and reports each check. Takes no migration lock and writes nothing
  // (not even the history): on PostgreSQL each check runs in a transaction of its own that is
  // rolled back, waiting at most Options::lock_wait for a lock; on SQLite on a read-only
  // connection, where a check that writes fails. The report lists the applied migrations without
  // a verify file too. Fails with kTargetNotFound when `version` is no migration of the set or not
  // applied, kSourceInvalid for a verify file that does not split or holds transaction control,
  // kLockTimeout when a check could not get its lock, connection errors; a check that finds a
  // problem is no failure of the call: the report's `error` says kVerificationFailed. Safe to
  // call concurrently with anything, runs included.
  Result<VerificationReport> verify(const std::optional<std::string>& version = std::nullopt) const;

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

  // Applies pending migrations in version order up to `target` (all if absent; Options::phase
  // stops before contract migrations), each in its own transaction with its history row.
  // Everything that can refuse (files, history, analysis, pre-flight) refuses before the first
  // migration runs. Stops at the first failure; the failed migration leaves the schema and the
  // history as before, plus one failed attempt row (a non-transactional one keeps what it
  // completed, and the next apply resumes after it). The report lists what ran; its error is the
  // reason the run stopped early. With `stop` requested the run stops before the next step or
  // backfill batch with kCancelled: the history records exactly what ran, and the next apply
  // goes on from there without --retry-failed.
  RunReport apply(const std::optional<std::string>& target, const Observer& observer = {},
                  std::stop_token stop = {});

  // Reverts applied migrations, newest first. Checks every one before reverting any. `stop` as
  // for apply.
  RunReport rollback(const RollbackTarget& target, const Observer& observer = {},
                     std::stop_token stop = {});

  // `migrate baseline --version V` (docs/adopting.md): records `version` and every migration
  // below it as applied, with their checksums and without running them, for a database whose
  // schema already has them. The rows are marked (Attempt::baselined()). Takes the migration
  // lock and creates or upgrades the history. Refuses, writing nothing, when any of those
  // versions already has an attempt in the history (kUsage, naming them), and when `version` is
  // not in the set (kTargetNotFound). Returns the attempts written, in version order.
  Result<std::vector<Attempt>> baseline(const std::string& version);

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

  // `migrate check-rollback` (docs/operations.md#the-round-trip-check): on a scratch database,
  // applies each pending migration up, down and up again, in version order, and compares the
  // catalog after each step (tables, columns with types, defaults and NOT NULL, indexes,
  // constraints, triggers, views, functions, sequences, extensions, enum types with their values;
  // on SQLite the schema objects, columns, foreign keys and indexes). The scratch database starts
  // as a copy of the target's schema (PostgreSQL: pg_dump --schema-only into a database created
  // on the target's server; SQLite: the target's schema SQL replayed into a temporary file)
  // without the history tables, with the target's highest applied version baselined in a history
  // of its own; with RollbackCheckOptions::all it starts empty and every migration is checked.
  // The target itself is only read (its schema and history), never written, and a temporary
  // scratch database is removed before returning, also on failure. Migrations run with
  // Options::phase kAll, allow_unsafe and retry_failed: the check is about reversibility, not
  // about safety. Fails with kUsage when the scratch database is the target (or, given, is not
  // empty for --all), kConnectionFailed / kPermissionDenied when it cannot be created, kInternal
  // when pg_dump or pg_restore fail (their message quoted), kSourceInvalid for the files, and the
  // backend's errors reading the target. A migration that fails or is inexact is not an error of
  // the call: it is in the report, whose `error` is then kRollbackMismatch.
  Result<RollbackCheckReport> check_rollback(const RollbackCheckOptions& check_options = {}) const;

  // `migrate plan --trace` (docs/analysis.md#checking-the-lock-table-against-the-server): runs
  // the statements of the apply plan up to trace_options.target (as plan_apply plans it) on a
  // trace database and records, per statement, the relation locks PostgreSQL's pg_locks shows
  // for it and how long it ran, beside the analyzer's locks; LockTraceReport::mismatches lists
  // where they differ. The trace database is a temporary copy of the target's schema (as
  // check_rollback makes it; dropped before returning, also on failure), where each statement
  // commits in a transaction of its own and one that cannot run in a transaction is observed
  // while it waits behind a lock of the tracer's; or the database trace_database_url names,
  // where everything runs in one transaction that is rolled back and statements that cannot run
  // in a transaction are not run. The target is only read (files, history, schema), never
  // written, unless it is named as the trace database (then everything is rolled back). Fails
  // with kUsage on SQLite ("lock tracing needs PostgreSQL") or for a trace URL that is not
  // PostgreSQL, kConnectionFailed when the trace database cannot be reached or created,
  // kInternal when pg_dump or pg_restore fail, and the refusals of plan_apply. A statement that
  // fails on the trace database is no failure of the call: the report's `error` holds it
  // (kStatementFailed, kLockTimeout... located at its file, version, line and column), and the
  // trace stops there. Mismatches are no error either.
  Result<LockTraceReport> trace_locks(const LockTraceOptions& trace_options) const;

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
