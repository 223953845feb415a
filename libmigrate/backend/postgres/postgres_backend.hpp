// PostgreSQL backend (libpqxx 6), internal to the backend folder. One class over three
// connections:
// - work: migration statements, transactions and the history (postgres_backend.cpp);
// - lock: only ever holds the session advisory lock, never a transaction, so it cannot deadlock
//   with CREATE INDEX CONCURRENTLY (postgres_run_lock.cpp, with the other pg_stat_activity reads);
// - monitor: opened by the blocker watch when the run's first step starts; it asks who blocks a
//   statement only once that statement has run longer than a short threshold
//   (postgres_blocker_watch.cpp).
// Catalog facts for the analyzer are in postgres_catalog.cpp.
#pragma once

#include <pqxx/pqxx>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/backend/postgres/postgres_blocker_watch.hpp"

namespace migrate {

// libpq messages read "ERROR:  text\nLINE 1: ...\n  ^"; the first line without the severity is
// the message, the rest repeats the statement. Inside PostgresBackend the member of the same
// name, which also removes the URL's secrets, is the one called.
std::string first_message_line(const std::string& what);

// The SQLSTATE of a libpqxx error: libpqxx 6 throws its subclasses for 42501 and 53100 without
// it, and the class tells it then.
std::string sqlstate_of(const pqxx::sql_error& e);

// The columns session_from() reads, for `SELECT {kSessionColumns} FROM pg_stat_activity a`.
extern const char* const kSessionColumns;
DatabaseSession session_from(const pqxx::row& r, const std::string& lock = {});
// The role of one of a run's connections, from the end of its application_name (connect() puts
// the role there): "run lock holder", "statement session", "monitor", "backfill lookup".
std::string session_role(const std::string& application_name);

// postgres_pooler_check.cpp: whether a libpq/libpqxx error text is a pooler's own refusal
// (pgbouncer: "... not allowed in statement pooling mode"), and kPoolerUnsupported when it is.
bool is_pooler_refusal(const std::string& what);
void refuse_if_pooler_refusal(const std::string& what, const SourceLocation& where = {});

class PostgresBackend final : public Backend {
 public:
  PostgresBackend(std::string url, const BackendOptions& options);
  ~PostgresBackend() override;

  Dialect dialect() const override { return Dialect::kPostgres; }
  std::vector<SqlStatement> split(const std::string& sql,
                                  const SourceLocation& file) const override;
  StatementTraits describe(const SqlStatement& statement) const override;

  // postgres_run_lock.cpp
  void acquire_run_lock(std::chrono::milliseconds wait) override;
  void release_run_lock() noexcept override;
  void announce_step(const std::string& description) noexcept override;
  std::vector<DatabaseSession> run_lock_holders() override;
  std::vector<DatabaseSession> sessions_of_run(const std::string& client) override;
  std::vector<DatabaseSession> long_transactions(const std::vector<std::string>& relations,
                                                 std::chrono::milliseconds min_age) override;

  // postgres_pooler_check.cpp. Before the run lock: kPoolerUnsupported unless the work and
  // lock connections each keep one server session of their own across statements.
  void check_sessions_are_pinned();
  // After: the lock is held by the lock connection's session, apart from the work connection's.
  // Releases the lock before refusing.
  void check_lock_is_pinned(int holder_pid);
  [[noreturn]] void refuse_pooler(const std::string& evidence);

  // postgres_catalog.cpp
  std::map<std::string, TableStatistics> table_statistics(
      const std::vector<std::string>& relations, std::chrono::milliseconds lock_timeout) override;
  std::optional<double> planned_rows(const std::string& sql,
                                     std::chrono::milliseconds lock_timeout) override;
  CatalogFacts catalog_facts(const std::vector<std::string>& relations,
                             std::chrono::milliseconds lock_timeout) override;

  std::vector<LockConflict> lock_conflicts(const std::vector<RelationLock>& wanted) override;
  std::vector<DatabaseSession> last_blockers() const override { return last_blockers_; }

  void begin(const StepSession& session, std::chrono::milliseconds wait) override;
  void verify(const StepSession&) override {}  // PostgreSQL enforces constraints itself
  void commit(const StepSession& session) override;
  void rollback() noexcept override;
  bool in_transaction() const noexcept override { return tx_ != nullptr; }

  std::optional<std::int64_t> execute(const SqlStatement& statement, const StepSession& session,
                                      const std::vector<SqlValue>& params = {}) override;
  std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override;
  std::vector<SqlRow> query_statement(const SqlStatement& statement) override;
  void forget_session_settings() noexcept override {
    session_timeouts_.reset();
    tx_timeouts_.reset();
  }
  std::unique_ptr<SideReader> side_reader(const StepSession& session) override;
  std::string quote_identifier(const std::string& name) const override {
    return work_->quote_name(name);
  }
  std::string installed_by() override;

 private:
  // query() and query_statement(): an error is libmigrate's own statement's when `statement` is
  // null, else that migration statement's.
  std::vector<SqlRow> rows_of(const std::string& sql, const std::vector<SqlValue>& params,
                              const SqlStatement* statement);
  // postgres_catalog.cpp: `body(transaction)` in a short read transaction under the catalog
  // probes' lock_timeout and statement_timeout.
  template <typename Body>
  void probe(std::chrono::milliseconds lock_timeout, Body&& body);

  // Runs `f` in the open transaction, or in autocommit when none is open (pqxx allows one
  // transaction object per connection at a time).
  template <typename F>
  std::invoke_result_t<F, pqxx::transaction_base&> with_transaction(F&& f) {
    if (tx_) return f(static_cast<pqxx::transaction_base&>(*tx_));
    pqxx::nontransaction q(*work_);
    return f(static_cast<pqxx::transaction_base&>(q));
  }

  // migrate::first_message_line() without the URL's secrets (libpq quotes parts of a URL it
  // cannot parse, or the whole URL). Every libpq text that becomes an Error, a log line or a
  // history row goes through here: it hides the free function in every member.
  std::string first_message_line(const std::string& what) const;
  [[noreturn]] void connection_lost(const std::exception& e, const char* when,
                                    SourceLocation where = {}, std::string code = {}) const;
  Error own_statement_error(const pqxx::sql_error& e) const;
  std::unique_ptr<pqxx::connection> connect(const char* role);
  // The work connection's server process, which the blocker watch asks pg_blocking_pids() about.
  int work_server_pid();
  // The run's blocker watch, made (and its monitor connected) on first use.
  BlockerWatch& blocker_watch();
  void log(LogLevel level, const std::string& message) const;
  // Sets lock_timeout and statement_timeout in one round trip, only when they differ from what
  // the session (or the open transaction) already has.
  void apply_timeouts(const StepSession& session, pqxx::transaction_base& q);
  [[noreturn]] void statement_error(const SqlStatement& statement, const StepSession& session,
                                    const pqxx::sql_error& e);
  static std::string describe_holder(const DatabaseSession& s);
  // "schema.table" or "table" as the analyzer names it, quoted for SQL.
  std::string qualify(const std::string& relation) const;

  using Timeouts = std::pair<std::int64_t, std::int64_t>;  // lock, statement (ms)

  std::string url_;
  std::string schema_;
  std::string table_;
  bool read_only_;
  std::string application_;
  LogSink log_;
  std::unique_ptr<pqxx::connection> work_;
  std::unique_ptr<pqxx::connection> lock_conn_;
  std::unique_ptr<pqxx::work> tx_;
  std::unique_ptr<BlockerWatch> watch_;
  std::pair<std::int32_t, std::int32_t> keys_;
  bool holding_run_lock_ = false;
  // Server process ids from pg_backend_pid(), 0 until the pooler check ran. libpq's own
  // backendpid() is a pooler's made-up key behind pgbouncer, even in session mode.
  int work_pid_ = 0;
  int lock_pid_ = 0;
  // A check run outside a step (`migrate verify`) waits at most this for a lock (lock_wait): it
  // never queues for ever behind a run's ALTER, and the ALTER never behind it for longer.
  std::chrono::milliseconds check_lock_timeout_{10'000};
  std::string probe_token_;  // migrate.session_probe, set on the work connection
  std::vector<DatabaseSession> last_blockers_;
  // What lock_timeout / statement_timeout are now: for the session (autocommit statements), and
  // inside the open transaction (SET LOCAL ends with it). Unknown until first set.
  std::optional<Timeouts> session_timeouts_;
  std::optional<Timeouts> tx_timeouts_;
};

}  // namespace migrate
