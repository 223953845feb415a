// The history model shared by every backend: an append-only log of attempts, and the per-version
// state derived from it together with the migration files. Plain values, filled by the Migrator
// from the history tables (docs/history.md); the functions here are pure and safe to call from
// any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "migrate/source.hpp"

namespace migrate {

// The history's format. 1: the attempt table of 0.1.0. 2: adds per-statement records (a second
// table) and a step checkpoint column. 3: adds each statement's estimate beside its actual
// duration, and the calibration table (`migrate calibrate`). 4: adds the backup file an attempt's
// run took before its first change (Options::backup_dir) to the attempt table. An older table is
// upgraded in place by the next call that writes the history (apply, rollback, baseline, resolve,
// calibrate; in a transaction, under the migration lock); read-only calls read it as it is. A table
// of a newer format is refused (kHistoryIncompatible), never rewritten.
inline constexpr int kHistoryFormatVersion = 4;

// kInit marks the row that records when the history table was created or upgraded (its name says
// which); it is no attempt of any version.
enum class Direction { kUp, kDown, kInit };
const char* to_string(Direction d) noexcept;  // "up", "down", "init"

// One row of the history table: one attempt to apply (up) or revert (down) one version.
struct Attempt {
  std::int64_t id = 0;  // ascending in insertion order
  std::string run_id;   // one per command invocation
  std::string version;  // canonical version ("12")
  std::string name;
  Direction direction = Direction::kUp;
  std::string checksum;                      // of the up file at the time
  std::optional<std::string> down_checksum;  // of the down file, absent if irreversible
  bool transactional = true;
  std::string started_at;  // ISO-8601 UTC
  std::optional<std::string> finished_at;
  std::optional<bool> success;  // absent: still running, or the process died
  std::string error_message;
  // Failures: the database's code (PostgreSQL SQLSTATE, SQLite result code name), else the
  // ErrorCode's text ("CONNECTION_FAILED", "VERIFICATION_FAILED": the message quotes the rows the
  // check returned). Also "INTERRUPTED" (its process died; a later run closed it), "RESOLVED"
  // (`migrate resolve`), "CANCELLED", and "BASELINE" on a successful row.
  // Empty on success. docs/history.md lists them all.
  std::string error_code;
  int statement_index = 0;  // statements completed
  // The statement that failed (1-based), 0 if the failure was not a statement's (e.g. the
  // foreign key check before commit) or there was no failure.
  int error_statement = 0;
  // sha256:v1 over the statements completed so far (non-transactional attempts): a retry resumes
  // only if those statements are unchanged in the file.
  std::optional<std::string> progress_checksum;
  std::int64_t execution_ms = 0;
  // Where a resumable step stopped inside a statement (format 2, JSON): a backfill's last
  // committed key, or the statement sent outside a transaction whose outcome is not recorded yet.
  std::optional<std::string> checkpoint;
  std::string installed_by;
  std::string client;  // host:pid:application
  std::string tool_version;
  // The backup file the attempt's run wrote before its first change (Options::backup_dir), an
  // absolute path; absent when the run took none (and in histories before format 4).
  std::optional<std::string> backup;
  int history_format = kHistoryFormatVersion;

  // Recorded by `migrate baseline` (Migrator::baseline): applied without running, since the
  // schema already had it. Such a row has success = true, error_code "BASELINE", no statements
  // and execution_ms 0.
  bool baselined() const noexcept { return success.value_or(false) && error_code == "BASELINE"; }
};

// One statement of an attempt, as it ran (format 2, the `<table>_statements` table): what
// runtime estimates learn from, and what an operator queries to see where time went.
struct StatementRecord {
  std::int64_t attempt_id = 0;
  int statement_index = 0;  // 1-based within the file
  std::string started_at;   // ISO-8601 UTC
  std::int64_t duration_ms = 0;
  std::optional<std::int64_t> rows_affected;  // absent where the database does not say (DDL)
  // Time lost to locks other sessions held: the failed tries and the backoff waits before the
  // try that succeeded, and (PostgreSQL) the wait outside the lock queue before the statement
  // (the first statement of its transaction) was sent.
  std::int64_t lock_wait_ms = 0;
  int lock_retries = 0;
  // The plan's estimate for the statement (format 3; absent before, or when there was none):
  // what it expected, and what the time scales with (Estimate::work and Estimate::scale), which
  // later estimates on this database learn from.
  std::optional<std::int64_t> estimate_p50_ms;
  std::optional<std::int64_t> estimate_p90_ms;
  std::string work;
  std::optional<double> scale;
};

// Another database session, as PostgreSQL's pg_stat_activity describes it (Migrator::lock_holders).
// On SQLite, the process holding the migration lock file: pid, host (client_addr),
// application_name and since when (backend_start).
struct DatabaseSession {
  int pid = 0;
  std::string application_name;
  std::string client_addr;
  std::string state;             // active, idle in transaction, ...
  std::string backend_start;     // ISO-8601 UTC
  std::string xact_start;        // ISO-8601 UTC, empty if no transaction
  double transaction_age_s = 0;  // seconds since xact_start
  std::string query;             // cut short
  std::string lock;              // "AccessShareLock on public.users (granted)" where known
  // For a session of a migration run (status, RUN_IN_PROGRESS): which of its connections this is,
  // "run lock holder", "statement session", "monitor" or "backfill lookup" (docs/cli.md, status),
  // or "blocks the run" for another session the run's statement waits for; empty otherwise.
  std::string role;
  // PostgreSQL, Migrator::lock_holders: seconds since the session's current (or last) query
  // started, and what it waits for ("Lock: relation", "IO: DataFileRead"), empty when not waiting.
  double query_age_s = 0;
  std::string wait_event;
  // Migrator::lock_holders, the statement session: the pids of the sessions it waits for a lock
  // behind (pg_blocking_pids), each also listed with role "blocks the run".
  std::vector<int> blocked_by;
  // Migrator::lock_holders, the run lock holder: the step the run is on ("apply 12 (add_email):
  // 3 statement(s)"), started query_age_s seconds ago; empty before the first step.
  std::string running_step;
};

enum class State {
  kPending,     // has a file, not applied
  kApplied,     // applied, file unchanged
  kFailed,      // the newest attempt is a failed up (transactional ones left nothing behind)
  kRunning,     // the newest attempt (up or down) has no outcome: running now, or its process died
  kMissing,     // applied, but its file is gone
  kModified,    // applied, but its up file's checksum changed
  kOutOfOrder,  // pending, but a higher version is applied
};
const char* to_string(State s) noexcept;  // "pending", "applied", "failed", ...

// One version as derive_status (and Migrator::status) sees it: the files and the history
// combined. A version only the history knows has has_file false.
struct VersionStatus {
  std::string version;  // canonical
  std::string name;
  State state = State::kPending;
  bool has_file = false;
  bool reversible = false;              // a down file exists
  std::optional<Attempt> last_applied;  // the successful up attempt in force, if applied
  std::optional<Attempt> last_attempt;  // the newest up/down attempt of any outcome
  std::string file_checksum;            // of the up file now, if the file exists
  std::optional<std::string> file_down_checksum;
};

// Where an unsuccessful attempt stopped, in words, for display (the wording may change): "failed
// at statement 3: <error>", "failed at commit, after statement 4: <error>", "interrupted after
// statement 2 (never finished)", "cancelled after statement 1: <error>", "failed verification
// after statement 3: <error>", "resolved by an operator: ...". <error> is the first line of
// error_message. Empty for a successful attempt. Pure; safe to call from any thread.
std::string describe_stop(const Attempt& attempt);

// A backfill's progress as the attempt's checkpoint records it, batch by batch
// (docs/backfills.md): for `status` while a backfill runs or after it was interrupted.
struct BackfillStatus {
  int statement = 0;  // 1-based index of the backfill statement in its file
  std::string table;
  std::vector<std::string> after;  // last key committed; empty before the first batch
  std::int64_t rows_done = 0;
  std::int64_t batches = 0;
  std::int64_t elapsed_ms = 0;
  std::optional<double> rows_estimated;
  double rows_per_second = 0;         // rows_done over the time spent in batches
  std::optional<double> eta_seconds;  // the rest of rows_estimated at that rate
  bool finished = false;              // the last batch committed
};
// The backfill progress recorded in `attempt`'s checkpoint, with the rate and ETA derived from it
// (rows_per_second 0 and eta_seconds absent when they cannot be). nullopt when the attempt is not
// inside a backfill: no checkpoint, another kind of checkpoint, or one that does not parse. Pure;
// safe to call from any thread.
std::optional<BackfillStatus> backfill_status(const Attempt& attempt);

// Every version's state from the files and the history (in any order; the newest attempt by id
// decides): one VersionStatus per version of `source`, plus the versions applied, failed or
// running without a file, sorted by version. Versions the history reverted (or failed to apply in
// a transaction) whose file is gone are left out, as are init rows and rows whose version does not
// parse. Never fails; pure, no I/O, safe to call from any thread.
std::vector<VersionStatus> derive_status(const MigrationSet& source,
                                         const std::vector<Attempt>& history);

}  // namespace migrate
