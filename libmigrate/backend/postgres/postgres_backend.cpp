// PostgreSQL backend (libpqxx 6): connections, transactions, migration statements and
// libmigrate's own queries on the work connection. A transactional step costs BEGIN, one
// set_config() for its timeouts when they change, its statements, the history write, COMMIT.
#include "libmigrate/backend/postgres/postgres_backend.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <stdexcept>

#include "libmigrate/backend/database_url.hpp"
#include "libmigrate/error/database_condition.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"
#include "libmigrate/source/sql_text.hpp"
#include "libmigrate/sql/postgres_statement.hpp"
#include "migrate/library_version.hpp"

namespace migrate {
namespace {

std::string interval(std::chrono::milliseconds ms) {
  return fmt::format("{}ms", ms.count());
}

// Byte offset of the 1-based character position PostgreSQL reports.
std::size_t byte_offset(const std::string& text, int char_position) {
  std::size_t i = 0;
  for (int c = 1; c < char_position && i < text.size(); ++c) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

// Two int32 advisory-lock keys from SHA-256 of the history table's identity, so migrators of
// different histories in one database do not serialize each other.
std::pair<std::int32_t, std::int32_t> advisory_keys(const std::string& schema,
                                                    const std::string& table) {
  std::string id = "libmigrate:" + schema + "." + table;
  std::array<unsigned char, EVP_MAX_MD_SIZE> d{};
  unsigned int n = 0;
  EVP_Digest(id.data(), id.size(), d.data(), &n, EVP_sha256(), nullptr);
  auto k = [&](int o) {
    return static_cast<std::int32_t>((std::uint32_t{d[o]} << 24) | (std::uint32_t{d[o + 1]} << 16) |
                                     (std::uint32_t{d[o + 2]} << 8) | std::uint32_t{d[o + 3]});
  };
  return {k(0), k(4)};
}

// A statement that waited this long for its lock gets its blockers looked up; quicker ones
// cost no query. Never later than a quarter of its lock_timeout, so a short timeout still
// leaves time to ask.
std::chrono::milliseconds watch_threshold(std::chrono::milliseconds lock_timeout) {
  return std::clamp(lock_timeout / 4, std::chrono::milliseconds(10),
                    std::chrono::milliseconds(100));
}

}  // namespace

// The server went away under a statement: the run is interrupted, not the migration failed.
void PostgresBackend::connection_lost(const std::exception& e, const char* when,
                                      SourceLocation where, std::string code) const {
  throw Failure(Error{
      ErrorCode::kConnectionLost,
      fmt::format("lost the connection to PostgreSQL{}: {}", when, first_message_line(e.what())),
      "check the server; the history shows where the run stopped (`migrate "
      "status`), and the same command resumes from there",
      std::move(where), std::move(code)});
}

std::string first_message_line(const std::string& what) {
  std::string line = what.substr(0, what.find('\n'));
  for (const char* prefix : {"ERROR:  ", "FATAL:  "})
    if (line.starts_with(prefix)) line = line.substr(std::string_view(prefix).size());
  return line;
}

std::string PostgresBackend::first_message_line(const std::string& what) const {
  return redact_secrets(migrate::first_message_line(what), url_);
}

std::string sqlstate_of(const pqxx::sql_error& e) {
  if (!e.sqlstate().empty()) return e.sqlstate();
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&e))
    return std::string(sqlstate::kInsufficientPrivilege);
  if (dynamic_cast<const pqxx::disk_full*>(&e)) return std::string(sqlstate::kDiskFull);
  return {};
}

namespace {

// Parameters for exec_params: NULL for a missing value. The pointers live as long as `params`.
std::vector<const char*> parameter_values(const std::vector<SqlValue>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

std::vector<SqlRow> rows_of_result(const pqxx::result& r) {
  std::vector<SqlRow> rows;
  rows.reserve(r.size());
  for (const auto& row : r) {
    SqlRow out;
    out.reserve(row.size());
    for (const auto& field : row) {
      if (field.is_null())
        out.emplace_back();
      else
        out.emplace_back(std::string(field.c_str(), field.size()));
    }
    rows.push_back(std::move(out));
  }
  return rows;
}

}  // namespace

// A failure of libmigrate's own statement is a bug of ours unless the database's state explains
// it (read-only, privilege, disk full); the history store names a foreign history table itself.
Error PostgresBackend::own_statement_error(const pqxx::sql_error& e) const {
  std::string message = first_message_line(e.what());
  const std::string state = sqlstate_of(e);
  if (auto condition = postgres_condition(state)) {
    return Error{condition->code,
                 fmt::format("PostgreSQL refused libmigrate's own statement: {}", message),
                 condition->fix,
                 {},
                 state};
  }
  return Error{ErrorCode::kInternal,
               fmt::format("PostgreSQL refused libmigrate's own statement: {}", message),
               "",
               {},
               e.sqlstate()};
}

const char* const kSessionColumns =
    "a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local'), "
    "coalesce(a.state, ''), coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), coalesce(to_char(a.xact_start AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), coalesce(extract(epoch FROM clock_timestamp() - "
    "a.xact_start), "
    "0), "
    "left(coalesce(a.query, ''), 200)";

DatabaseSession session_from(const pqxx::row& r, const std::string& lock) {
  DatabaseSession s;
  s.pid = r[0].as<int>();
  s.application_name = r[1].as<std::string>();
  s.client_addr = r[2].as<std::string>();
  s.state = r[3].as<std::string>();
  s.backend_start = r[4].as<std::string>();
  s.xact_start = r[5].as<std::string>();
  s.transaction_age_s = r[6].as<double>();
  s.query = r[7].as<std::string>();
  s.lock = lock;
  return s;
}

std::string session_role(const std::string& application_name) {
  if (application_name.ends_with(" lock")) return "run lock holder";
  if (application_name.ends_with(" migrations")) return "statement session";
  if (application_name.ends_with(" monitor")) return "monitor";
  if (application_name.ends_with(" lookup")) return "backfill lookup";
  return "connection of the run";  // its application_name was cut at 63 characters
}

PostgresBackend::PostgresBackend(std::string url, const BackendOptions& options)
    : url_(std::move(url)),
      schema_(options.history_schema),
      table_(options.history_table),
      read_only_(options.read_only),
      application_(options.application_name),
      log_(options.log),
      check_lock_timeout_(options.lock_wait) {
  work_ = connect("migrations");
  keys_ = advisory_keys(schema_, table_);
}

PostgresBackend::~PostgresBackend() {
  watch_.reset();
  rollback();
  release_run_lock();
}

std::vector<SqlStatement> PostgresBackend::split(const std::string& sql,
                                                 const SourceLocation& file) const {
  return split_postgres_statements(sql, file);
}

StatementTraits PostgresBackend::describe(const SqlStatement& statement) const {
  PgStatementInfo info = describe_postgres_statement(statement.sql);
  const bool settings = info.node_type == "VariableSetStmt" || info.node_type == "SelectStmt" ||
                        info.node_type == "DoStmt" || info.node_type == "CallStmt" ||
                        info.node_type == "ExecuteStmt";
  StatementTraits traits{info.can_run_in_transaction, info.non_transactional_reason,
                         info.takes_relation_lock,    info.relations,
                         info.is_transaction_control, settings};
  traits.autocommit_only = !info.can_run_in_transaction;
  traits.recovery = info.recovery;
  return traits;
}

// The run's blocker watch, made when the run's first step is announced (or, for statements run
// outside a step, with the first one): its monitor connection is opened before any statement of
// the step, so no statement's recorded duration and no short lock_timeout includes connecting.
BlockerWatch& PostgresBackend::blocker_watch() {
  if (!watch_)
    watch_ = std::make_unique<BlockerWatch>(
        [this] { return connect("monitor"); }, work_server_pid(),
        [this](const std::vector<DatabaseSession>& blockers, std::chrono::milliseconds waited) {
          std::string who;
          for (const auto& b : blockers)
            who +=
                fmt::format("\n  pid {} ({}, {}), {}, transaction age {:.1f}s{}: {}", b.pid,
                            b.application_name.empty() ? "no application_name" : b.application_name,
                            b.client_addr, b.state, b.transaction_age_s,
                            b.lock.empty() ? "" : ", " + b.lock, b.query);
          log(LogLevel::kWarn, fmt::format("still waiting for a lock after {:.0f}s; blocked by:{}",
                                           static_cast<double>(waited.count()) / 1000.0, who));
        });
  return *watch_;
}

void PostgresBackend::begin(const StepSession& session, std::chrono::milliseconds) {
  if (read_only_) fail(ErrorCode::kInternal, "the PostgreSQL backend was opened read-only");
  if (!holding_run_lock_)
    fail(ErrorCode::kInternal, "a PostgreSQL transaction was begun without the run lock");
  try {
    tx_ = std::make_unique<pqxx::work>(*work_);
  } catch (const pqxx::broken_connection& e) {
    refuse_if_pooler_refusal(e.what(), session.where);
    connection_lost(e, "");
  }
  tx_timeouts_ = session_timeouts_;
}

void PostgresBackend::commit(const StepSession& session) {
  if (!tx_) return;
  try {
    tx_->commit();
    tx_.reset();
  } catch (const pqxx::in_doubt_error& e) {
    // The history row is in the same transaction: the next run reads whether it committed.
    tx_.reset();
    connection_lost(e,
                    " while committing (whether the commit happened is unknown until the "
                    "next run reads the history)",
                    session.where);
  } catch (const pqxx::sql_error& e) {
    tx_.reset();
    refuse_if_pooler_refusal(e.what(), session.where);
    if (sqlstate::is_connection_loss(e.sqlstate()))
      connection_lost(e, " at commit", session.where, e.sqlstate());
    if (auto condition = postgres_condition(sqlstate_of(e))) {
      throw Failure(Error{condition->code, "commit failed: " + first_message_line(e.what()),
                          condition->fix, session.where, sqlstate_of(e)});
    }
    throw Failure(Error{
        ErrorCode::kStatementFailed, "commit failed: " + first_message_line(e.what()),
        "fix the statements so deferred constraints hold at commit", session.where, e.sqlstate()});
  } catch (const pqxx::broken_connection& e) {
    tx_.reset();
    refuse_if_pooler_refusal(e.what(), session.where);
    connection_lost(e,
                    " at commit (whether the commit happened is unknown until the next run "
                    "reads the history)",
                    session.where);
  }
  tx_timeouts_.reset();
}

void PostgresBackend::rollback() noexcept {
  if (!tx_) return;
  try {
    tx_->abort();
  } catch (const std::exception&) {
  }
  tx_.reset();
  tx_timeouts_.reset();
}

void PostgresBackend::apply_timeouts(const StepSession& session, pqxx::transaction_base& q) {
  const Timeouts wanted{session.lock_timeout.count(), session.statement_timeout.count()};
  std::optional<Timeouts>& current = tx_ ? tx_timeouts_ : session_timeouts_;
  if (current == wanted) return;
  q.exec_params(
      "SELECT set_config('lock_timeout', $1, $3), "
      "set_config('statement_timeout', $2, $3)",
      interval(session.lock_timeout), interval(session.statement_timeout), tx_ != nullptr);
  current = wanted;
}

std::optional<std::int64_t> PostgresBackend::execute(const SqlStatement& statement,
                                                     const StepSession& session,
                                                     const std::vector<SqlValue>& params) {
  const std::vector<const char*> values = parameter_values(params);
  auto run = [&](pqxx::transaction_base& q) {
    return params.empty()
               ? q.exec(statement.sql)
               : q.exec_params(statement.sql, pqxx::prepare::make_dynamic_params(values));
  };
  last_blockers_.clear();
  // Without a lock_timeout (0: wait for ever) the wait is still watched, less often, so that it
  // is reported while it lasts instead of hanging silently.
  const bool unbounded = session.lock_timeout.count() == 0;
  {
    BlockerWatch& watch = blocker_watch();
    if (unbounded)
      watch.start(BlockerWatch::kStillWaitingEvery, std::chrono::milliseconds(1000));
    else
      watch.start(watch_threshold(session.lock_timeout),
                  std::clamp(session.lock_timeout / 4, std::chrono::milliseconds(20),
                             std::chrono::milliseconds(250)));
  }
  try {
    pqxx::result r;
    if (tx_) {
      apply_timeouts(session, *tx_);
      r = run(*tx_);
    } else {
      pqxx::nontransaction q(*work_);
      apply_timeouts(session, q);
      r = run(q);
    }
    watch_->stop();
    return r.affected_rows();
  } catch (const pqxx::sql_error& e) {
    last_blockers_ = watch_->stop();
    // An error in autocommit leaves the session settings as set; in a transaction the rollback
    // undoes SET LOCAL.
    statement_error(statement, session, e);
  } catch (const pqxx::broken_connection& e) {
    watch_->stop();
    refuse_if_pooler_refusal(e.what(), located_at(session.where, statement));
    connection_lost(e, fmt::format(" while statement {} ran", statement.index).c_str(),
                    located_at(session.where, statement));
  }
}

std::vector<SqlRow> PostgresBackend::query(const std::string& sql,
                                           const std::vector<SqlValue>& params) {
  return rows_of(sql, params, nullptr);
}

std::vector<SqlRow> PostgresBackend::query_statement(const SqlStatement& statement) {
  return rows_of(statement.sql, {}, &statement);
}

std::vector<SqlRow> PostgresBackend::rows_of(const std::string& sql,
                                             const std::vector<SqlValue>& params,
                                             const SqlStatement* statement) {
  const std::vector<const char*> values = parameter_values(params);
  try {
    pqxx::result r;
    if (statement && !tx_) {
      // A migration's query outside a step (`migrate verify`): whatever it might write is not
      // kept. The transaction is aborted when it goes out of scope.
      pqxx::work q(*work_);
      q.exec_params("SELECT set_config('lock_timeout', $1, true)",
                    std::to_string(check_lock_timeout_.count()) + "ms");
      r = q.exec(sql);
    } else {
      r = with_transaction([&](pqxx::transaction_base& q) {
        return q.exec_params(sql, pqxx::prepare::make_dynamic_params(values));
      });
    }
    return rows_of_result(r);
  } catch (const pqxx::sql_error& e) {
    refuse_if_pooler_refusal(e.what());
    if (sqlstate::is_connection_loss(e.sqlstate())) connection_lost(e, "", {}, e.sqlstate());
    if (statement)
      throw Failure(
          Error{ErrorCode::kStatementFailed, first_message_line(e.what()), "",
                SourceLocation{{}, {}, statement->index, statement->line, statement->column},
                sqlstate_of(e)});
    throw Failure(own_statement_error(e));
  } catch (const pqxx::broken_connection& e) {
    refuse_if_pooler_refusal(e.what());
    connection_lost(e, "");
  }
}

namespace {

// The `lookup` connection: opened by its first query, on the thread that asks.
class PostgresSideReader final : public SideReader {
 public:
  PostgresSideReader(std::function<std::unique_ptr<pqxx::connection>()> connect,
                     std::function<std::string(const std::string&)> message,
                     std::string lock_timeout, std::string statement_timeout,
                     std::string search_path)
      : connect_(std::move(connect)),
        message_(std::move(message)),
        lock_timeout_(std::move(lock_timeout)),
        statement_timeout_(std::move(statement_timeout)),
        search_path_(std::move(search_path)) {}

  std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override {
    const std::vector<const char*> values = parameter_values(params);
    try {
      if (!connection_) {
        // Connected outside the mutex: cancel() must not wait for a connection attempt.
        auto c = connect_();
        pqxx::nontransaction q(*c);
        q.exec_params(
            "SELECT set_config('lock_timeout', $1, false), "
            "set_config('statement_timeout', $2, false), set_config('search_path', $3, false)",
            lock_timeout_, statement_timeout_, search_path_);
        std::lock_guard<std::mutex> held(mutex_);
        connection_ = std::move(c);
      }
      pqxx::nontransaction q(*connection_);
      return rows_of_result(q.exec_params(sql, pqxx::prepare::make_dynamic_params(values)));
    } catch (const Failure&) {
      throw;
    } catch (const std::exception& e) {
      throw std::runtime_error(message_(e.what()));
    }
  }

  void cancel() noexcept override {
    std::lock_guard<std::mutex> held(mutex_);
    try {
      if (connection_) connection_->cancel_query();
    } catch (const std::exception&) {
    }
  }

 private:
  std::function<std::unique_ptr<pqxx::connection>()> connect_;
  std::function<std::string(const std::string&)> message_;
  std::string lock_timeout_, statement_timeout_, search_path_;
  std::mutex mutex_;  // guards connection_ against cancel() from another thread
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace

std::unique_ptr<SideReader> PostgresBackend::side_reader(const StepSession& session) {
  // Unqualified names in the lookups resolve as on the main connection.
  const auto path = query("SELECT current_setting('search_path')", {});
  return std::make_unique<PostgresSideReader>(
      [this] { return connect("lookup"); },
      [this](const std::string& what) { return first_message_line(what); },
      interval(session.lock_timeout), interval(session.statement_timeout),
      path.empty() || !path[0][0] ? std::string() : *path[0][0]);
}

int PostgresBackend::work_server_pid() {
  if (work_pid_ == 0) {
    work_pid_ = with_transaction([](pqxx::transaction_base& q) {
      return q.exec("SELECT pg_backend_pid()")[0][0].as<int>();
    });
  }
  return work_pid_;
}

std::string PostgresBackend::installed_by() {
  return with_transaction([](pqxx::transaction_base& q) {
    return q.exec("SELECT current_user")[0][0].as<std::string>();
  });
}

std::unique_ptr<pqxx::connection> PostgresBackend::connect(const char* role) {
  try {
    auto c = std::make_unique<pqxx::connection>(url_);
    // libpqxx 6 would silently open a new session after a broken one: our timeouts, the run
    // lock's proof and pg_stat_activity's picture would all be wrong. A lost connection must
    // surface as one.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    c->inhibit_reactivation(true);
#pragma GCC diagnostic pop
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    pqxx::nontransaction q(*c);
    // Visible in pg_stat_activity, so operators and `migrate status` can tell who is who.
    q.exec(fmt::format(
        "SET application_name = {}",
        q.quote(fmt::format("{}/{} {}:{} {}", application_, kLibraryVersion, host, getpid(), role)
                    .substr(0, 63))));
    return c;
  } catch (const std::exception& e) {
    fail(ErrorCode::kConnectionFailed,
         redact_secrets(fmt::format("cannot connect to PostgreSQL ({}): {}", url_,
                                    migrate::first_message_line(e.what())),
                        url_),
         "check the URL, that the server runs and accepts this user, and pg_hba.conf");
  }
}

void PostgresBackend::log(LogLevel level, const std::string& message) const {
  if (log_) log_(level, message);
}

std::string PostgresBackend::qualify(const std::string& relation) const {
  auto dot = relation.find('.');
  if (dot == std::string::npos) return work_->quote_name(relation);
  return work_->quote_name(relation.substr(0, dot)) + "." +
         work_->quote_name(relation.substr(dot + 1));
}

std::string PostgresBackend::describe_holder(const DatabaseSession& s) {
  return fmt::format("pid {} ({}, from {}, connected since {}, {})", s.pid, s.application_name,
                     s.client_addr, s.backend_start, s.state.empty() ? "state unknown" : s.state);
}

void PostgresBackend::statement_error(const SqlStatement& statement, const StepSession& session,
                                      const pqxx::sql_error& e) {
  SourceLocation where = located_at(session.where, statement);
  refuse_if_pooler_refusal(e.what(), where);
  if (const auto* syntax = dynamic_cast<const pqxx::syntax_error*>(&e);
      syntax && syntax->error_position > 0) {
    auto [l, c] =
        line_and_column(statement.sql, byte_offset(statement.sql, syntax->error_position));
    where.line = statement.line + l - 1;
    where.column = l == 1 ? statement.column + c - 1 : c;
  }
  if (sqlstate::is_connection_loss(e.sqlstate()))
    connection_lost(e, fmt::format(" while statement {} ran", statement.index).c_str(), where,
                    e.sqlstate());
  std::string message = first_message_line(e.what());
  if (e.sqlstate() == sqlstate::kLockNotAvailable) {
    std::string who;
    for (const auto& b : last_blockers_) {
      who += fmt::format("; blocked by pid {} ({})", b.pid,
                         b.application_name.empty() ? "no application_name" : b.application_name);
    }
    throw Failure(
        Error{ErrorCode::kLockTimeout,
              fmt::format("statement {} could not get its lock within lock_timeout {} ms{}",
                          statement.index, session.lock_timeout.count(), who),
              "the sessions named hold or wait for a conflicting lock; wait for them, end them, or "
              "raise the lock timeout (--lock-timeout, `-- migrate:lock-timeout`)",
              where, e.sqlstate()});
  }
  if (auto condition = postgres_condition(sqlstate_of(e))) {
    throw Failure(Error{condition->code,
                        fmt::format("statement {} failed: {}", statement.index, message),
                        condition->fix, where, sqlstate_of(e)});
  }
  std::string hint;
  if (e.sqlstate() == sqlstate::kQueryCanceled) {
    hint = fmt::format(
        "the statement ran longer than statement_timeout {} ms; raise it with "
        "`-- migrate:statement-timeout` or --statement-timeout",
        session.statement_timeout.count());
  }
  throw Failure(Error{ErrorCode::kStatementFailed,
                      fmt::format("statement {} failed: {}", statement.index, message), hint, where,
                      e.sqlstate()});
}

std::unique_ptr<Backend> open_postgres_backend(const std::string& url,
                                               const BackendOptions& options) {
  return std::make_unique<PostgresBackend>(url, options);
}

}  // namespace migrate
