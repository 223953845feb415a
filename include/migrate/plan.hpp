// What a run will do, step by step, before anything executes: the planner's output, shown by
// `migrate plan` and consumed by the executor. Plain values, filled by Migrator::plan_apply and
// plan_rollback (which read the files, the history and the catalog, and change nothing); the
// functions here are pure and safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/analysis.hpp"
#include "migrate/dialect.hpp"
#include "migrate/estimate.hpp"
#include "migrate/history.hpp"
#include "migrate/source.hpp"
#include "migrate/statement_outcome.hpp"

namespace migrate {

// How a backfill statement names its batches (docs/backfills.md).
enum class BackfillForm {
  kAutomatic,  // PostgreSQL: a plain UPDATE/DELETE; the engine adds the key range to its WHERE
  kExplicit,   // the statement names :batch_start (exclusive) and :batch_end (inclusive)
};
const char* to_string(BackfillForm f) noexcept;  // "automatic", "explicit"

// A data statement of a `-- migrate:backfill` migration, run as a keyset walk over `key` in
// short transactions, each committing its checkpoint into the history. Filled by the planner from
// the directive's options (source.hpp, BackfillOptions), the catalog and, when resuming, the
// history.
struct PlannedBackfill {
  BackfillForm form = BackfillForm::kAutomatic;
  std::string key_option;              // `key=` as the directive gives it; empty when absent
  std::string table;                   // the table walked, as SQL ("public"."orders")
  std::vector<std::string> key;        // its key's columns, in order
  std::vector<std::string> key_types;  // PostgreSQL types of those columns; empty on SQLite
  // What a batch runs. Automatic form: the statement with the key range added (PostgreSQL's
  // deparser), $1.. the previous batch's last key, then this batch's last key; the first batch
  // bounds only from above, the last only from below. Explicit form: the statement as written
  // (PostgreSQL: with $1 for :batch_start and $2 for :batch_end), in batch_sql only.
  std::string batch_sql;
  std::string first_batch_sql;
  std::string last_batch_sql;
  std::optional<double> rows_estimated;              // the table's rows, from the catalog
  std::int64_t batch_size = 1000;                    // first batch's size
  bool adaptive = true;                              // size adapts toward target_batch_time
  std::chrono::milliseconds target_batch_time{200};  // planner's default: 50 ms on SQLite
  std::optional<std::chrono::milliseconds> pause;    // unset: a tenth of each batch's duration
  std::chrono::milliseconds max_replica_lag{0};      // 0: replicas are not watched
  std::optional<std::int64_t> expected_batches;      // rows_estimated / batch_size, rounded up
  // Resuming a backfill an earlier attempt left: the last key it committed (empty: none), and
  // its rows, batches and time so far.
  std::vector<std::string> resume_after;
  std::int64_t rows_done = 0;
  std::int64_t batches_done = 0;
  std::int64_t elapsed_ms_done = 0;
  bool finished = false;  // its last batch committed; only the statement's record is missing
};

// One statement as the planner split it (with the database's own tokenizer), and how it will run.
struct PlannedStatement {
  int index = 0;  // 1-based within its file
  int line = 0;   // 1-based position of the statement's first character in the file
  int column = 0;
  std::string sql;
  // Runs on its own, not in a transaction with its neighbours (CREATE INDEX CONCURRENTLY, VACUUM,
  // a backfill, any statement of a `transaction off` file); `standalone_reason` says why.
  // `autocommit` says whether it runs outside any transaction.
  bool standalone = false;
  std::string standalone_reason;
  bool takes_relation_lock = false;    // lock_timeout and its retries apply
  std::vector<std::string> relations;  // as written: "schema.table" or "table"
  // BEGIN, COMMIT, SAVEPOINT...: apply and rollback refuse the plan before anything runs
  // (libmigrate owns the transactions and records the history between them).
  bool transaction_control = false;
  // SET / RESET, or a statement that may call set_config(): the executor sets its timeouts
  // again after it.
  bool may_change_settings = false;
  // Runs outside any transaction (CREATE INDEX CONCURRENTLY, VACUUM...): the history marks it
  // sent before it runs, so a run that dies meanwhile leaves its outcome to be found out. A
  // standalone statement without it (a `transaction off` migration's) runs in a transaction of
  // its own together with its history update.
  bool autocommit = false;
  // How that outcome is found after a run died while it ran.
  OutcomeRecovery recovery = OutcomeRecovery::kUnknown;
  // Set for the data statements of a `-- migrate:backfill` migration: run in batches.
  std::optional<PlannedBackfill> backfill;
  Estimate estimate;  // filled by plan_apply / plan_rollback and by apply before it runs
};

enum class StepKind { kApply, kRevert };  // up file applied, or down file run to revert

// How far a run may go through two-phase migrations (docs/two-phase.md): `--phase`.
enum class PhaseScope {
  // apply stops before the first contract migration: expands and everything else run before the
  // application deploy; contracts wait for the old code to be gone.
  kExpand,
  // apply also runs contracts whose expand was applied in an earlier run (the deploy happened
  // in between); it stops before a contract whose expand is not applied yet (or is applied by
  // the same run).
  kContract,
  // No gating: expands and their contracts in one run (a fresh database, a test or development
  // database where no old code runs). rollback may also revert an expand whose contract is
  // applied.
  kAll,
};
const char* to_string(PhaseScope p) noexcept;  // "expand", "contract", "all"
// Inverse of to_string (exact match, as `--phase` takes it); nullopt for any other text. Pure;
// safe to call from any thread.
std::optional<PhaseScope> parse_phase_scope(std::string_view text);

// One migration applied or reverted: what the run executes, in order, and records as one attempt
// in the history.
struct PlannedStep {
  StepKind kind = StepKind::kApply;
  std::string version;
  std::string name;
  std::filesystem::path file;  // the file it runs: the up file, or the down file for kRevert
  std::string checksum;        // of that file
  // The whole step runs in one transaction with its history row. False when the file says
  // `transaction off`, a statement must run on its own, or an earlier attempt is being resumed.
  bool transactional = true;
  std::optional<MigrationClass> declared_class;
  std::optional<Phase> phase;
  // A contract's expand (`-- migrate:completes`), and whether it is applied by the time the
  // contract runs (earlier, or earlier in this plan with --phase all): the analyzer relaxes the
  // breaking rules' warnings only then.
  std::optional<std::string> completes;
  bool expand_applied = false;
  ForeignKeyMode foreign_keys = ForeignKeyMode::kCheck;
  int resume_from = 0;  // statements already done by an interrupted non-transactional attempt
  // The attempt of a process that died mid-step (no outcome recorded): this run closes it as
  // failed ("interrupted") so the history stays exact.
  std::optional<Attempt> interrupted_attempt;
  // The statement (1-based) an earlier attempt sent outside a transaction without recording its
  // outcome; 0 when none. The executor finds out whether it took effect before going on.
  int uncertain_statement = 0;
  // The checkpoint of the attempt that sent it (history.md, `checkpoint`): what the read-back
  // needs, e.g. the table's indexes before an unnamed concurrent index build.
  std::string uncertain_checkpoint;
  std::vector<PlannedStatement> statements;
  // `-- migrate:backfill-check`: after the backfills, a query that must return no rows.
  std::optional<std::string> backfill_check;
  // An apply step's checks, from the migration's verify file (empty: none, and for a revert):
  // run after its statements, in the step's transaction when it has one, else in a transaction
  // of their own right after. Each must return no rows, or one row whose first column is true;
  // otherwise the step fails with kVerificationFailed.
  std::filesystem::path verify_file;
  std::vector<PlannedStatement> verify;
  // What the run will record in the history, as human-readable sentences for `migrate plan` to
  // display. The wording is not stable and may change in any release: programs should read the
  // other fields (kind, transactional, resume_from...) rather than parse these.
  std::vector<std::string> history_writes;
  // What the analyzer says about the step's file (the up file of an apply step, the down file
  // of a revert step): class, locks, findings.
  std::optional<MigrationAnalysis> analysis;
  // The statements' estimates summed; the lock is the strongest any statement holds, for as
  // long as it is held.
  Estimate estimate;
};

// Why an apply plan ends before a contract migration (PhaseScope::kExpand, or kContract for a
// contract whose expand is not applied before the run), for `plan` and `apply` to say in words.
struct PhaseStop {
  std::string version;  // the contract that waits
  std::string name;
  std::string file;
  std::string expand_version;  // the expand it completes
  std::string expand_name;
  std::string expand_description;  // the expand's comment: what must be deployed in between
  bool expand_applied = false;     // in an earlier run; false: this plan applies it
  // Pending versions after the contract that wait behind it: versions apply in order, since a
  // later migration may rely on what the contract removed (a name it frees, a dropped column).
  std::vector<std::string> waiting;
  std::string reason;  // all of this in words, with the command that goes on
};

// The planner's output for one apply or rollback: returned by Migrator::plan_apply and
// plan_rollback. apply and rollback build theirs the same way, under the migration lock, and run
// their steps in order.
struct Plan {
  Dialect dialect = Dialect::kSqlite;
  std::optional<std::string> current_version;  // highest applied, before the plan
  std::optional<std::string> target_version;   // where the plan ends
  std::vector<PlannedStep> steps;
  // What apply (or rollback) would refuse this plan with before running anything: unsafe
  // findings (kUnsafeMigration), transaction control in a file (kSourceInvalid). Set by
  // Migrator::plan_apply and plan_rollback, which still return the plan; apply and rollback
  // return it as their error.
  std::optional<Error> refusal;
  Estimate estimate;  // the steps' estimates summed
  // Set when the plan stops before a contract migration that --phase did not allow.
  std::optional<PhaseStop> phase_stop;
};

// An expand migration that is applied while a contract completing it is not (or none is
// written yet): `status` lists them, with how long they have waited.
struct WaitingExpand {
  std::string version;
  std::string name;
  std::string description;  // the expand's comment: what the deploy in between is about
  std::string applied_at;   // ISO-8601 UTC
  std::int64_t waiting_seconds = 0;
  // Contracts of the directory that complete it and are not applied; empty: none written yet.
  std::vector<std::string> contracts;
};

// Every waiting expand of `source` given the history's `statuses` (from derive_status or
// Migrator::status), in version order. `now` is the current time as seconds since the Unix epoch
// (the caller's clock, for tests); waiting_seconds counts from applied_at and is 0 when that
// cannot be read. Never fails; pure, no I/O, safe to call from any thread.
std::vector<WaitingExpand> waiting_expands(const MigrationSet& source,
                                           const std::vector<VersionStatus>& statuses,
                                           std::int64_t now);

// How far rollback goes: at most one of the three fields (more is kUsage); none is `steps = 1`,
// the most recently applied migration (as `rails db:rollback` and `dbmate rollback` do).
// Migrator::plan_rollback and rollback fail with kTargetNotFound for a version that is not one
// or that neither the files nor the history know (for `only`: that is not applied), and with
// kUsage for steps below 1.
struct RollbackTarget {
  // Keep this version applied, revert everything above; "0" reverts every applied version.
  std::optional<std::string> version;
  std::optional<int> steps;  // or: revert this many most recently applied versions
  // Or: revert this one applied version alone. When higher versions are applied the plan is
  // refused (kOutOfOrder, naming them) unless Options::allow_out_of_order: they stay applied and
  // the version becomes pending below them (State::kOutOfOrder).
  std::optional<std::string> only;
};

}  // namespace migrate
