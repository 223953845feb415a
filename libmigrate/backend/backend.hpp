// The small interface every database implements. Everything above it is written once.
// Rules for implementers (after golang-migrate's driver.go): do not correct user input, do not
// guess; when in doubt, fail with an Error that explains the situation. Failures are thrown as
// migrate::Failure.
//
// The backend owns connections, statement execution with timeouts, transactions, the run lock,
// catalog facts and the plain parameterised queries the history store (libmigrate/history/) is
// written over. It knows nothing of the history's shape.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libmigrate/sql/sql_statement.hpp"
#include "migrate/analysis.hpp"
#include "migrate/database_url.hpp"
#include "migrate/dialect.hpp"
#include "migrate/history.hpp"
#include "migrate/log.hpp"
#include "migrate/source.hpp"

namespace migrate {

// What a migration step asks of the session it runs in.
struct StepSession {
  bool transactional = true;
  ForeignKeyMode foreign_keys = ForeignKeyMode::kCheck;
  SourceLocation where;                            // file and version, for errors
  std::chrono::milliseconds lock_timeout{0};       // PostgreSQL lock_timeout; 0 = none
  std::chrono::milliseconds statement_timeout{0};  // 0 = none
};

// Another session's lock that a lock request of the run would wait for (Backend::lock_conflicts).
struct LockConflict {
  // Who holds or waits for it, as pg_stat_activity shows the session (`lock` says which lock:
  // "AccessShareLock on public.t (granted)"). A role without pg_read_all_stats sees another
  // role's session without xact_start, state and query: transaction_age_s is then unknown.
  DatabaseSession session;
  bool age_known = false;  // session.xact_start and transaction_age_s are the session's
  // pg_locks.virtualtransaction: the same transaction from one look to the next, also when its
  // age is not visible.
  std::string transaction;
  bool prepared = false;  // a prepared transaction (pid 0): it stays until COMMIT PREPARED
};

// A value of one of libmigrate's own queries: text, or NULL. The SQL casts where a type matters
// (PostgreSQL: `$3::bigint`; SQLite converts by column affinity).
using SqlValue = std::optional<std::string>;
using SqlRow = std::vector<SqlValue>;

// What the catalog says about one table's size and shape, for runtime estimates.
struct TableStatistics {
  // Rows (pg_class.reltuples; SQLite: counted). nullopt: never analyzed, though not empty.
  std::optional<double> rows;
  double heap_bytes = 0;   // the table itself (pg_relation_size; SQLite: its pages, via dbstat)
  double total_bytes = 0;  // with indexes and TOAST (pg_total_relation_size)
  // One entry per index: true when a key is variable-width (text, an expression).
  std::vector<bool> index_variable_width;
  std::map<std::string, bool> column_variable_width;  // column (lower case) -> variable-width
  // column (lower case) -> pg_stats.correlation of its values with the table's physical order,
  // for the analyzed columns (PostgreSQL only).
  std::map<std::string, double> column_correlation;
  std::map<std::string, std::string> constraint_kinds;  // name -> "check", "foreign key", ...
  // Set when the table exists but its statistics could not be read (a lock held on it outlasted
  // the probe's lock_timeout): why, in words; the other fields are then empty.
  std::string unavailable;
};

// See Backend::side_reader().
class SideReader {
 public:
  virtual ~SideReader() = default;
  // One read in autocommit. It may be called from a thread other than the opener's, but from one
  // thread at a time, and sees nothing of the main connection's open transaction. Throws
  // std::exception (its message without the URL's secrets).
  virtual std::vector<SqlRow> query(const std::string& sql,
                                    const std::vector<SqlValue>& params) = 0;
  // From any thread: asks the server to cancel the query running, if any.
  virtual void cancel() noexcept = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual Dialect dialect() const = 0;

  // Splits a file into statements using the database's own tokenizer. Throws kSourceInvalid,
  // with line and column, for an unterminated statement.
  virtual std::vector<SqlStatement> split(const std::string& sql,
                                          const SourceLocation& file) const = 0;

  // What the statement does, from the database's parser. Throws kSourceInvalid on a parse error.
  virtual StatementTraits describe(const SqlStatement& statement) const = 0;

  // The lock that serializes migrators for a whole run: PostgreSQL, a session advisory lock on a
  // connection that never holds a transaction; SQLite, an exclusive lock on a file beside the
  // database (released by the kernel when the process dies). Polled until `wait`, then
  // kRunInProgress naming the holder. An in-memory SQLite database has no other runner.
  virtual void acquire_run_lock(std::chrono::milliseconds wait) = 0;
  virtual void release_run_lock() noexcept = 0;

  // Sessions holding the run lock, followed by the other connections of the same run (its
  // statements run there) and, on PostgreSQL, the sessions its statement waits behind (role
  // "blocks the run"); empty when none. The holder's running_step is what announce_step said.
  virtual std::vector<DatabaseSession> run_lock_holders() = 0;

  // Says, where other sessions can read it, which step the run holding the run lock is on
  // (`migrate status` during a run, also while a transactional step's history row is not yet
  // committed). PostgreSQL: the lock connection runs a query carrying the text, which
  // pg_stat_activity shows until the next. Best effort: never throws; a no-op elsewhere.
  virtual void announce_step(const std::string& description) noexcept { (void)description; }

  // Sessions still open for the run that `client` (an Attempt's client, "host:pid:application")
  // describes. A killed migrator's lock connection goes at once, but a statement it had sent may
  // still be running on its work connection. Empty when not applicable.
  virtual std::vector<DatabaseSession> sessions_of_run(const std::string& client) = 0;

  // Sessions whose transaction is older than `min_age` and that hold or wait for a lock on one
  // of `relations` (pre-flight). Empty when not applicable.
  virtual std::vector<DatabaseSession> long_transactions(const std::vector<std::string>& relations,
                                                         std::chrono::milliseconds min_age) = 0;

  // Lock-queue avoidance (docs/postgresql.md#lock-queue-avoidance): the locks other sessions
  // hold, or wait for, on `wanted`'s relations that conflict with a mode wanted for that relation
  // (lock_levels_conflict; a relation may be wanted at several modes), one entry per lock.
  // Relations that do not exist are skipped (to_regclass). Left out: while this backend has a
  // transaction open, waiting requests that wait for it (they queue behind locks it holds, not
  // ahead of it). One catalog query, in the open transaction if any; it takes no lock. Empty when
  // not applicable (SQLite).
  virtual std::vector<LockConflict> lock_conflicts(const std::vector<RelationLock>& wanted) {
    (void)wanted;
    return {};
  }

  // What the analyzer can learn from the live database without scanning a table: the server
  // version, row estimates of `relations` (those that exist) and which extensions require which.
  // PostgreSQL reads pg_class.reltuples under a short lock_timeout and statement_timeout;
  // `never_analyzed` lists tables whose statistics were never gathered (their row count is
  // estimated from their size, as PostgreSQL's planner does). SQLite: its library version and
  // row counts from the table b-trees.
  struct CatalogFacts {
    int server_version_num = 0;
    std::map<std::string, double> table_rows;
    std::vector<std::string> never_analyzed;
    std::map<std::string, std::vector<std::string>> extension_requires;
    std::vector<std::string> installed_extensions;
    std::map<std::string, MaterializedViewFacts> materialized_views;  // PostgreSQL only
  };
  virtual CatalogFacts catalog_facts(const std::vector<std::string>& relations,
                                     std::chrono::milliseconds lock_timeout) = 0;

  // Size and shape of each of `relations` that exists (keyed as given), for runtime estimates.
  // Catalog reads only, never a scan; PostgreSQL probes under `lock_timeout` and gives up on a
  // relation (leaving it out, with a warning) rather than wait.
  virtual std::map<std::string, TableStatistics> table_statistics(
      const std::vector<std::string>& relations, std::chrono::milliseconds lock_timeout) = 0;
  // The planner's estimate of the rows a data statement (UPDATE, DELETE, INSERT ... SELECT,
  // CREATE TABLE AS) touches: PostgreSQL's EXPLAIN, which plans but never executes. nullopt when
  // it cannot say (a table it names does not exist yet, a parameter, SQLite).
  virtual std::optional<double> planned_rows(const std::string& sql,
                                             std::chrono::milliseconds lock_timeout) = 0;

  // The sessions that blocked the last statement that failed on lock_timeout.
  virtual std::vector<DatabaseSession> last_blockers() const = 0;

  // Opens a transaction for a step (SQLite: sets the foreign-key pragma first, then BEGIN
  // IMMEDIATE, waiting at most `wait` for the write lock). PostgreSQL requires the run lock.
  virtual void begin(const StepSession& session, std::chrono::milliseconds wait) = 0;
  // Integrity checks the session asked for (SQLite, foreign-key mode `check`: PRAGMA
  // foreign_key_check). Throws kStatementFailed listing the violations.
  virtual void verify(const StepSession& session) = 0;
  // For a transactional session: verify(), then commit. Throws kStatementFailed on a violation
  // or when the commit itself fails (deferred constraints).
  virtual void commit(const StepSession& session) = 0;
  // Never throws; safe to call with no transaction open.
  virtual void rollback() noexcept = 0;
  // A read-only transaction around many reads (SQLite: BEGIN, which takes its shared lock at the
  // first read and keeps it); ended by rollback(). No-op where reads need none.
  virtual void begin_read() {}
  virtual bool in_transaction() const noexcept = 0;

  // Runs one migration statement with the session's timeouts (PostgreSQL: set only when they
  // differ from what the session already has). Returns the rows it changed where the database
  // says. Throws kStatementFailed with the file's line and column of the error, kLockTimeout
  // (55P03) when lock_timeout expired (last_blockers() then names who blocked), or
  // kConnectionFailed when the connection is lost.
  // `params` bind a backfill batch's bounds: PostgreSQL's $1.. in order; SQLite binds the first
  // to :batch_start and the second to :batch_end (an integer-looking value as an integer).
  virtual std::optional<std::int64_t> execute(const SqlStatement& statement,
                                              const StepSession& session,
                                              const std::vector<SqlValue>& params = {}) = 0;
  // The statement just run may have changed session settings itself (a SET in the migration):
  // the next execute() sets the timeouts again instead of trusting what it set last.
  virtual void forget_session_settings() noexcept {}

  // One of libmigrate's own statements (history, catalog), in the open transaction or else in
  // autocommit. Parameters are $1.. on PostgreSQL, ?1.. on SQLite. Throws kInternal on error,
  // or kHistoryIncompatible / others where the caller catches and explains.
  virtual std::vector<SqlRow> query(const std::string& sql,
                                    const std::vector<SqlValue>& params = {}) = 0;

  // A second connection of the run for libmigrate's own reads that go on while the main
  // connection executes (a backfill's next key range during a batch), with `session`'s
  // lock_timeout and statement_timeout and the main connection's search_path as it is now.
  // nullptr where the engine has none (SQLite: a batch's write transaction is the point). The
  // reader connects on its first query; it closes when destroyed.
  virtual std::unique_ptr<SideReader> side_reader(const StepSession& session) {
    (void)session;
    return nullptr;
  }

  // A query from a migration's files (a verify file's check), in the open transaction, or else
  // (PostgreSQL) in a transaction of its own that is rolled back, (SQLite) in autocommit on a
  // connection that may be read-only; and its rows. Unlike query(), an error is the statement's,
  // not libmigrate's: kStatementFailed with the database's message (and SQLSTATE / result code), or
  // kConnectionLost.
  virtual std::vector<SqlRow> query_statement(const SqlStatement& statement) = 0;

  // Quotes an identifier for this dialect's SQL.
  virtual std::string quote_identifier(const std::string& name) const = 0;

  // Who is running this (for the history): database user.
  virtual std::string installed_by() = 0;

  // SQLite: copies the whole database into `file` (an empty file) with SQLite's online backup
  // API (Options::backup_dir). Precondition: no transaction open. Throws kBackupFailed.
  // PostgreSQL backs up through pg_dump instead (backup/database_backup.hpp): this default fails.
  virtual void copy_database_to(const std::string& file);
};

struct BackendOptions {
  std::string history_table = "migrate_history";  // names the run lock (and its lock file)
  std::string history_schema = "public";          // PostgreSQL only
  std::string application_name = "migrate";
  LogSink log;             // optional
  bool read_only = false;  // status/plan/validate: never create the database or the table
  // Busy timeout for every access, so readers wait out a concurrent commit instead of failing.
  std::chrono::milliseconds lock_wait{10'000};
};

// Opens the backend the URL names. Throws kUsage for a malformed URL, kUnsupportedDatabase for
// an unknown scheme (or, in the CLI, a PostgreSQL URL when its PostgreSQL module cannot be
// loaded: postgres_driver.hpp), kConnectionFailed when the database cannot be opened.
std::unique_ptr<Backend> open_backend(const std::string& url, const BackendOptions& options);

}  // namespace migrate
