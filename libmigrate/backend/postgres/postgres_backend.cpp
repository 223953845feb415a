// PostgreSQL backend (libpqxx 6): a work connection for statements and history, a lock
// connection that only ever holds the session advisory lock (never a transaction, so it cannot
// deadlock with CREATE INDEX CONCURRENTLY), and a monitor connection that watches who blocks a
// statement while it waits for a lock.
#include <openssl/evp.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <type_traits>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/history/timestamp.hpp"
#include "libmigrate/source/sql_text.hpp"
#include "libmigrate/sql/postgres_statement.hpp"
#include "migrate/library_version.hpp"

namespace migrate {
namespace {

constexpr const char* kTimestampSql =
    "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

std::string iso(const std::string& column) {
  return fmt::format(kTimestampSql, column);
}

// libpq messages read "ERROR:  text\nLINE 1: ...\n  ^"; the first line without the severity is
// the message, the rest repeats the statement.
std::string first_message_line(const std::string& what) {
  std::string line = what.substr(0, what.find('\n'));
  for (const char* prefix : {"ERROR:  ", "FATAL:  "})
    if (line.starts_with(prefix)) line = line.substr(std::string_view(prefix).size());
  return line;
}

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

const char* kSessionColumns =
    "a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local'), "
    "coalesce(a.state, ''), coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), coalesce(to_char(a.xact_start AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), coalesce(extract(epoch FROM now() - a.xact_start), "
    "0), "
    "left(coalesce(a.query, ''), 200)";

DatabaseSession session_from(const pqxx::row& r, const std::string& lock = {}) {
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

// While a statement waits for a lock, polls pg_blocking_pids() for it from another connection:
// once lock_timeout fires the wait is over and the blockers can no longer be asked for.
class BlockerWatch {
 public:
  BlockerWatch(pqxx::connection& monitor, int watched_pid, std::chrono::milliseconds every)
      : monitor_(monitor), pid_(watched_pid), every_(every), thread_([this] { loop(); }) {}
  ~BlockerWatch() { stop(); }

  std::vector<DatabaseSession> stop() {
    {
      std::lock_guard<std::mutex> g(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return seen_;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> g(mu_);
    while (!done_) {
      g.unlock();
      try {
        pqxx::nontransaction q(monitor_);
        auto rows = q.exec_params(
            fmt::format(
                "SELECT {}, coalesce((SELECT string_agg(l.mode || ' on ' || "
                "l.relation::regclass::text || "
                "CASE WHEN l.granted THEN ' (granted)' ELSE ' (waiting)' END, ', ') FROM pg_locks "
                "l "
                "WHERE l.pid = a.pid AND l.relation IS NOT NULL), '') "
                "FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids($1)) ORDER BY a.pid",
                kSessionColumns),
            pid_);
        if (!rows.empty()) {
          std::vector<DatabaseSession> now;
          for (const auto& r : rows) now.push_back(session_from(r, r[8].as<std::string>()));
          std::lock_guard<std::mutex> g2(mu_);
          seen_ = std::move(now);
        }
      } catch (const std::exception&) {
        // Monitoring is best effort: the statement's own outcome is what counts.
      }
      g.lock();
      cv_.wait_for(g, every_, [this] { return done_; });
    }
  }

  pqxx::connection& monitor_;
  int pid_;
  std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::vector<DatabaseSession> seen_;
  std::thread thread_;
};

class PostgresBackend final : public Backend {
 public:
  PostgresBackend(std::string url, const BackendOptions& options)
      : url_(std::move(url)),
        schema_(options.history_schema),
        table_(options.history_table),
        read_only_(options.read_only),
        application_(options.application_name),
        log_(options.log) {
    work_ = connect("migrations");
    keys_ = advisory_keys(schema_, table_);
  }

  ~PostgresBackend() override {
    rollback();
    release_run_lock();
  }

  std::string dialect() const override { return "postgresql"; }

  std::vector<SqlStatement> split(const std::string& sql,
                                  const SourceLocation& file) const override {
    return split_postgres_statements(sql, file);
  }

  StatementTraits describe(const SqlStatement& statement) const override {
    PgStatementInfo info = describe_postgres_statement(statement.sql);
    return StatementTraits{info.can_run_in_transaction, info.non_transactional_reason,
                           info.takes_relation_lock, info.relations};
  }

  void acquire_run_lock(std::chrono::milliseconds wait) override {
    if (!lock_conn_) lock_conn_ = connect("lock");
    auto deadline = std::chrono::steady_clock::now() + wait;
    bool logged = false;
    while (true) {
      pqxx::nontransaction q(*lock_conn_);
      if (q.exec_params("SELECT pg_try_advisory_lock($1, $2)", keys_.first, keys_.second)[0][0]
              .as<bool>()) {
        holding_run_lock_ = true;
        return;
      }
      q.commit();
      auto holders = run_lock_holders();
      if (std::chrono::steady_clock::now() >= deadline) {
        std::string who =
            holders.empty() ? std::string("a session that has just released it") : std::string();
        for (const auto& h : holders)
          who += (who.empty() ? "" : ", with its statements on ") + describe_holder(h);
        fail(
            ErrorCode::kLockTimeout,
            fmt::format("the migration lock of {}.{} is held by {}; waited {} ms", schema_, table_,
                        who, wait.count()),
            "wait for that migration to finish (`migrate status` shows it), or raise --lock-wait; "
            "if its process is gone, end each session named with SELECT pg_terminate_backend(pid)");
      }
      if (!logged && !holders.empty()) {
        log(LogLevel::kInfo, fmt::format("waiting for the migration lock held by {}",
                                         describe_holder(holders.front())));
        logged = true;
      }
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds(250), std::chrono::duration_cast<std::chrono::milliseconds>(
                                              deadline - std::chrono::steady_clock::now()) +
                                              std::chrono::milliseconds(1)));
    }
  }

  void release_run_lock() noexcept override {
    if (!holding_run_lock_ || !lock_conn_) return;
    try {
      pqxx::nontransaction q(*lock_conn_);
      q.exec_params("SELECT pg_advisory_unlock($1, $2)", keys_.first, keys_.second);
    } catch (const std::exception&) {
      // Closing the connection releases a session lock too.
    }
    holding_run_lock_ = false;
  }

  std::vector<DatabaseSession> run_lock_holders() override {
    // The holder is a run's lock connection; its statements run on the sibling connection whose
    // application_name ends in " migrations" instead of " lock" (see connect()).
    auto rows = query([&](pqxx::transaction_base& q) {
      return q.exec_params(
          fmt::format(
              "WITH holder AS (SELECT a.* FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
              "WHERE l.locktype = 'advisory' AND l.classid = ($1::int)::oid AND l.objid = "
              "($2::int)::oid "
              "AND l.objsubid = 2 AND l.granted AND l.database = (SELECT oid FROM pg_database "
              "WHERE datname = current_database())) "
              "SELECT {}, 'migration lock' FROM holder a UNION ALL "
              "SELECT {}, 'statements of the run holding the migration lock' FROM pg_stat_activity "
              "a "
              "WHERE a.application_name IN (SELECT regexp_replace(application_name, ' lock$', ' "
              "migrations') "
              "FROM holder) ORDER BY 9",
              kSessionColumns, kSessionColumns),
          keys_.first, keys_.second);
    });
    std::vector<DatabaseSession> out;
    for (const auto& r : rows) out.push_back(session_from(r, r[8].as<std::string>()));
    return out;
  }

  std::vector<DatabaseSession> sessions_of_run(const std::string& client) override {
    // client is "host:pid:application"; application_name carries " host:pid " (see connect()).
    auto second = client.find(':', client.find(':') + 1);
    std::string host_pid = client.substr(0, second);
    auto rows = query([&](pqxx::transaction_base& q) {
      // Inside a transaction pg_stat_activity is a snapshot taken once: clear it, so a
      // poll sees sessions end.
      q.exec("SELECT pg_stat_clear_snapshot()");
      // Inside a transaction pg_stat_activity is a snapshot taken once: clear it, so a
      // poll sees sessions end.
      q.exec("SELECT pg_stat_clear_snapshot()");
      return q.exec_params(
          fmt::format("SELECT {} FROM pg_stat_activity a WHERE a.application_name LIKE "
                      "'% ' || $1 || ' %' AND a.pid <> pg_backend_pid()",
                      kSessionColumns),
          host_pid);
    });
    std::vector<DatabaseSession> out;
    for (const auto& r : rows) out.push_back(session_from(r, "connection of an interrupted run"));
    return out;
  }

  std::vector<DatabaseSession> long_transactions(const std::vector<std::string>& relations,
                                                 std::chrono::milliseconds min_age) override {
    if (relations.empty()) return {};
    std::string list;
    for (const auto& r : relations) list += (list.empty() ? "" : ",") + r;
    pqxx::nontransaction q(*work_);
    // to_regclass() ignores relations that do not exist yet (created by the plan itself).
    auto rows = q.exec_params(
        fmt::format(
            "SELECT {}, string_agg(l.mode || ' on ' || l.relation::regclass::text || "
            "CASE WHEN l.granted THEN ' (granted)' ELSE ' (waiting)' END, ', ') "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.relation IN (SELECT to_regclass(x) FROM unnest(string_to_array($1, ',')) x "
            "WHERE to_regclass(x) IS NOT NULL) AND a.pid <> pg_backend_pid() "
            "AND a.xact_start < now() - ($2 || ' milliseconds')::interval "
            "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 7 DESC",
            kSessionColumns),
        list, std::to_string(min_age.count()));
    std::vector<DatabaseSession> out;
    for (const auto& r : rows) out.push_back(session_from(r, r[8].as<std::string>()));
    return out;
  }

  std::vector<DatabaseSession> last_blockers() const override { return last_blockers_; }

  CatalogFacts catalog_facts(const std::vector<std::string>& relations) override {
    CatalogFacts facts;
    query([&](pqxx::transaction_base& q) {
      facts.server_version_num = q.exec("SHOW server_version_num")[0][0].as<int>();
      for (const auto& r : relations) {
        // reltuples is -1 for a table never vacuumed or analysed: then count what is there.
        auto rows = q.exec_params(
            "SELECT c.reltuples::float8, c.relpages FROM pg_class c WHERE c.oid = to_regclass($1)",
            r);
        if (rows.empty()) continue;
        double n = rows[0][0].as<double>();
        if (n < 0) n = q.exec("SELECT count(*) FROM " + qualify(r))[0][0].as<double>();
        facts.table_rows[r] = n;
      }
      for (const auto& row : q.exec("SELECT extname FROM pg_extension"))
        facts.installed_extensions.push_back(row[0].as<std::string>());
      for (const auto& row :
           q.exec("SELECT name, coalesce(array_to_string(requires, ','), '') FROM "
                  "pg_available_extension_versions")) {
        auto& req = facts.extension_requires[row[0].as<std::string>()];
        std::string list = row[1].as<std::string>();
        for (std::size_t start = 0; !list.empty() && start <= list.size();) {
          auto comma = list.find(',', start);
          std::string item =
              list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (!item.empty() && std::find(req.begin(), req.end(), item) == req.end())
            req.push_back(item);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      }
      return 0;
    });
    return facts;
  }

  std::vector<Attempt> read_history() override {
    return query([&](pqxx::transaction_base& q) { return read_history_with(q); });
  }

  std::vector<Attempt> read_history_with(pqxx::transaction_base& q) {
    std::vector<Attempt> out;
    if (q.exec_params("SELECT to_regclass($1) IS NULL", qualified())[0][0].as<bool>()) return out;
    pqxx::result rows;
    try {
      rows = q.exec(fmt::format(
          "SELECT id, history_format, run_id, version, name, direction, checksum, "
          "coalesce(down_checksum, ''), "
          "down_checksum IS NULL, transactional, {}, coalesce({}, ''), finished_at IS NULL, "
          "coalesce(success::text, ''), error_message, error_code, statement_index, execution_ms, "
          "installed_by, "
          "client, tool_version, error_statement, coalesce(progress_checksum, ''), "
          "progress_checksum IS NULL "
          "FROM {} ORDER BY id",
          iso("started_at"), iso("finished_at"), qualified()));
    } catch (const pqxx::sql_error& e) {
      fail(ErrorCode::kHistoryIncompatible,
           fmt::format("table {} exists but is not a libmigrate history table ({})", qualified(),
                       first_message_line(e.what())),
           "choose another table with --history-table / --history-schema, or rename the existing "
           "table");
    }
    for (const auto& r : rows) {
      Attempt a;
      a.id = r[0].as<std::int64_t>();
      a.history_format = r[1].as<int>();
      if (a.history_format > kHistoryFormatVersion) {
        fail(ErrorCode::kHistoryIncompatible,
             fmt::format("history table {} has format {}, newer than this libmigrate reads ({})",
                         qualified(), a.history_format, kHistoryFormatVersion),
             "upgrade migrate to the version that wrote the history");
      }
      a.run_id = r[2].as<std::string>();
      a.version = r[3].as<std::string>();
      a.name = r[4].as<std::string>();
      std::string dir = r[5].as<std::string>();
      a.direction = dir == "up"     ? Direction::kUp
                    : dir == "down" ? Direction::kDown
                                    : Direction::kInit;
      a.checksum = r[6].as<std::string>();
      if (!r[8].as<bool>()) a.down_checksum = r[7].as<std::string>();
      a.transactional = r[9].as<bool>();
      a.started_at = r[10].as<std::string>();
      if (!r[12].as<bool>()) a.finished_at = r[11].as<std::string>();
      std::string success = r[13].as<std::string>();
      if (!success.empty()) a.success = success == "true";
      a.error_message = r[14].as<std::string>();
      a.error_code = r[15].as<std::string>();
      a.statement_index = r[16].as<int>();
      a.execution_ms = r[17].as<std::int64_t>();
      a.installed_by = r[18].as<std::string>();
      a.client = r[19].as<std::string>();
      a.tool_version = r[20].as<std::string>();
      a.error_statement = r[21].as<int>();
      if (!r[23].as<bool>()) a.progress_checksum = r[22].as<std::string>();
      out.push_back(std::move(a));
    }
    return out;
  }

  void begin(const StepSession&, std::chrono::milliseconds) override {
    if (read_only_) fail(ErrorCode::kInternal, "the PostgreSQL backend was opened read-only");
    if (!holding_run_lock_)
      fail(ErrorCode::kInternal, "a PostgreSQL transaction was begun without the run lock");
    tx_ = std::make_unique<pqxx::work>(*work_);
    create_history_if_missing();
  }

  void verify(const StepSession&) override {}  // PostgreSQL enforces constraints itself

  void commit(const StepSession& session) override {
    if (!tx_) return;
    try {
      tx_->commit();
      tx_.reset();
    } catch (const pqxx::sql_error& e) {
      tx_.reset();
      throw Failure(Error{ErrorCode::kStatementFailed,
                          "commit failed: " + first_message_line(e.what()),
                          "fix the statements so deferred constraints hold at commit",
                          session.where, e.sqlstate()});
    }
  }

  void rollback() noexcept override {
    if (!tx_) return;
    try {
      tx_->abort();
    } catch (const std::exception&) {
    }
    tx_.reset();
  }

  void execute(const SqlStatement& statement, const StepSession& session) override {
    PgStatementInfo info = describe_postgres_statement(statement.sql);
    if (info.is_transaction_control) {
      throw Failure(Error{
          ErrorCode::kStatementFailed,
          fmt::format("statement {} failed: transaction control inside a migration: libmigrate "
                      "runs each migration in transactions of its own and records the history "
                      "between them",
                      statement.index),
          "remove the statement; statements that cannot run in a transaction are run on "
          "their own automatically",
          at(session, statement), "TRANSACTION_CONTROL"});
    }
    last_blockers_.clear();
    const bool builds_index = info.concurrent_index &&
                              info.concurrent_index->kind == ConcurrentIndexAction::Kind::kCreate &&
                              !info.concurrent_index->index_name.empty();
    std::optional<BlockerWatch> watch;
    if (info.takes_relation_lock && session.lock_timeout.count() > 0) {
      if (!monitor_) monitor_ = connect("monitor");
      watch.emplace(*monitor_, work_->backendpid(),
                    std::clamp(session.lock_timeout / 4, std::chrono::milliseconds(20),
                               std::chrono::milliseconds(250)));
    }
    try {
      // Inside the try: dropping an invalid index waits for locks like any statement, so it runs
      // under the same timeouts, retries and error reporting.
      if (builds_index && prepare_concurrent_index(*info.concurrent_index, session)) {
        if (watch) watch->stop();
        return;  // already built and valid
      }
      if (tx_) {
        tx_->exec(fmt::format("SET LOCAL lock_timeout = '{}'", interval(session.lock_timeout)));
        tx_->exec(
            fmt::format("SET LOCAL statement_timeout = '{}'", interval(session.statement_timeout)));
        tx_->exec(statement.sql);
      } else {
        pqxx::nontransaction q(*work_);
        q.exec(fmt::format("SET lock_timeout = '{}'", interval(session.lock_timeout)));
        q.exec(fmt::format("SET statement_timeout = '{}'", interval(session.statement_timeout)));
        q.exec(statement.sql);
        q.exec("RESET lock_timeout");
        q.exec("RESET statement_timeout");
      }
    } catch (const pqxx::sql_error& e) {
      if (watch) last_blockers_ = watch->stop();
      if (!tx_) reset_session_timeouts();
      statement_error(statement, session, e);
    } catch (const pqxx::broken_connection& e) {
      fail(ErrorCode::kConnectionFailed,
           fmt::format("lost the connection to PostgreSQL: {}", first_message_line(e.what())),
           "check the server; the history shows where the run stopped (`migrate status`)",
           at(session, statement));
    }
    if (watch) watch->stop();
    if (builds_index) check_index_valid(*info.concurrent_index, statement, session);
  }

  std::int64_t insert_attempt(const Attempt& a) override {
    return tx_
        ->exec_params(
            fmt::format(
                "INSERT INTO {} (history_format, run_id, version, name, direction, checksum, "
                "down_checksum, transactional, started_at, finished_at, success, error_message, "
                "error_code, statement_index, execution_ms, installed_by, client, tool_version, "
                "error_statement, progress_checksum) VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, "
                "''), "
                "$8, $9::timestamptz, NULLIF($10, '')::timestamptz, NULLIF($11, '')::boolean, $12, "
                "$13, "
                "$14, $15, $16, $17, $18, $19, NULLIF($20, '')) RETURNING id",
                qualified()),
            a.history_format, a.run_id, a.version, a.name, std::string(to_string(a.direction)),
            a.checksum, a.down_checksum.value_or(""), a.transactional, a.started_at,
            a.finished_at.value_or(""), success_text(a.success), a.error_message, a.error_code,
            a.statement_index, a.execution_ms, a.installed_by, a.client, a.tool_version,
            a.error_statement, a.progress_checksum.value_or(""))[0][0]
        .as<std::int64_t>();
  }

  void update_attempt(const Attempt& a) override {
    tx_->exec_params(
        fmt::format("UPDATE {} SET finished_at = NULLIF($1, '')::timestamptz, "
                    "success = NULLIF($2, '')::boolean, error_message = $3, error_code = $4, "
                    "statement_index = $5, execution_ms = $6, error_statement = $7, "
                    "progress_checksum = NULLIF($8, '') WHERE id = $9",
                    qualified()),
        a.finished_at.value_or(""), success_text(a.success), a.error_message, a.error_code,
        a.statement_index, a.execution_ms, a.error_statement, a.progress_checksum.value_or(""),
        a.id);
  }

  std::string installed_by() override {
    return query([](pqxx::transaction_base& q) {
      return q.exec("SELECT current_user")[0][0].as<std::string>();
    });
  }

 private:
  // Runs `f` in the open transaction, or in autocommit when none is open (pqxx allows one
  // transaction object per connection at a time).
  template <typename F>
  std::invoke_result_t<F, pqxx::transaction_base&> query(F&& f) {
    if (tx_) return f(static_cast<pqxx::transaction_base&>(*tx_));
    pqxx::nontransaction q(*work_);
    return f(static_cast<pqxx::transaction_base&>(q));
  }

  std::unique_ptr<pqxx::connection> connect(const char* role) {
    try {
      auto c = std::make_unique<pqxx::connection>(url_);
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
           fmt::format("cannot connect to PostgreSQL ({}): {}", redact_url(url_),
                       first_message_line(e.what())),
           "check the URL, that the server runs and accepts this user, and pg_hba.conf");
    }
  }

  void log(LogLevel level, const std::string& message) const {
    if (log_) log_(level, message);
  }

  static std::string success_text(const std::optional<bool>& s) {
    return s ? (*s ? "true" : "false") : "";
  }

  // "schema.table" or "table" as the analyzer names it, quoted for SQL.
  std::string qualify(const std::string& relation) const {
    auto dot = relation.find('.');
    if (dot == std::string::npos) return work_->quote_name(relation);
    return work_->quote_name(relation.substr(0, dot)) + "." +
           work_->quote_name(relation.substr(dot + 1));
  }

  std::string qualified() const {
    return work_->quote_name(schema_) + "." + work_->quote_name(table_);
  }

  static std::string describe_holder(const DatabaseSession& s) {
    return fmt::format("pid {} ({}, from {}, connected since {}, {})", s.pid, s.application_name,
                       s.client_addr, s.backend_start, s.state.empty() ? "state unknown" : s.state);
  }

  static SourceLocation at(const StepSession& session, const SqlStatement& statement) {
    SourceLocation w = session.where;
    w.statement = statement.index;
    w.line = statement.line;
    w.column = statement.column;
    return w;
  }

  void create_history_if_missing() {
    if (!tx_->exec_params("SELECT to_regclass($1) IS NULL", qualified())[0][0].as<bool>()) return;
    tx_->exec(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", work_->quote_name(schema_)));
    tx_->exec(
        fmt::format("CREATE TABLE {} (\n"
                    "  id bigserial PRIMARY KEY,\n"
                    "  history_format integer NOT NULL,\n"
                    "  run_id text NOT NULL,\n"
                    "  version text NOT NULL,\n"
                    "  name text NOT NULL,\n"
                    "  direction text NOT NULL CHECK (direction IN ('up', 'down', 'init')),\n"
                    "  checksum text NOT NULL,\n"
                    "  down_checksum text,\n"
                    "  transactional boolean NOT NULL,\n"
                    "  started_at timestamptz NOT NULL,\n"
                    "  finished_at timestamptz,\n"
                    "  success boolean,\n"
                    "  error_message text NOT NULL DEFAULT '',\n"
                    "  error_code text NOT NULL DEFAULT '',\n"
                    "  statement_index integer NOT NULL DEFAULT 0,\n"
                    "  execution_ms bigint NOT NULL DEFAULT 0,\n"
                    "  installed_by text NOT NULL,\n"
                    "  client text NOT NULL,\n"
                    "  tool_version text NOT NULL,\n"
                    "  error_statement integer NOT NULL DEFAULT 0,\n"
                    "  progress_checksum text\n"
                    ")",
                    qualified()));
    tx_->exec_params(
        fmt::format(
            "INSERT INTO {} (history_format, run_id, version, name, direction, checksum, "
            "transactional, started_at, finished_at, success, installed_by, client, tool_version) "
            "VALUES ($1, '', '', '', 'init', '', true, now(), now(), true, current_user, '', $2)",
            qualified()),
        kHistoryFormatVersion, std::string(kLibraryVersion));
  }

  void reset_session_timeouts() noexcept {
    try {
      pqxx::nontransaction q(*work_);
      q.exec("RESET lock_timeout");
      q.exec("RESET statement_timeout");
    } catch (const std::exception&) {
    }
  }

  // The index an earlier, failed CREATE INDEX CONCURRENTLY left behind is INVALID: it must be
  // dropped and rebuilt, and IF NOT EXISTS must not take it for a finished index. Returns true
  // when a valid index of that name already exists on the same table (a build that completed
  // before its process died): nothing left to do.
  bool prepare_concurrent_index(const ConcurrentIndexAction& idx, const StepSession& session) {
    pqxx::nontransaction q(*work_);
    auto rows = q.exec_params(
        "SELECT i.indisvalid, t.relname, tn.nspname, n.nspname FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE c.relname = $1 AND n.nspname = coalesce(NULLIF($2, ''), current_schema())",
        idx.index_name, idx.schema);
    if (rows.empty()) return false;
    std::string qualified_index =
        work_->quote_name(rows[0][3].as<std::string>()) + "." + work_->quote_name(idx.index_name);
    if (!rows[0][0].as<bool>()) {
      log(LogLevel::kWarn,
          fmt::format("index {} is INVALID (left by an earlier failed build): dropping it "
                      "concurrently before building it again",
                      qualified_index));
      q.exec(fmt::format("SET lock_timeout = '{}'", interval(session.lock_timeout)));
      q.exec("DROP INDEX CONCURRENTLY IF EXISTS " + qualified_index);
      q.exec("RESET lock_timeout");
      return false;
    }
    if (rows[0][1].as<std::string>() == idx.table) {
      log(LogLevel::kInfo,
          fmt::format("index {} already exists and is valid: nothing to build", qualified_index));
      return true;
    }
    return false;  // same name on another table: let PostgreSQL report the conflict
  }

  void check_index_valid(const ConcurrentIndexAction& idx, const SqlStatement& statement,
                         const StepSession& session) {
    pqxx::nontransaction q(*work_);
    auto rows = q.exec_params(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = $1 AND n.nspname = coalesce(NULLIF($2, ''), current_schema())",
        idx.index_name, idx.schema);
    if (!rows.empty() && !rows[0][0].as<bool>()) {
      throw Failure(Error{
          ErrorCode::kStatementFailed,
          fmt::format("statement {} failed: index {} was built but is INVALID", statement.index,
                      idx.index_name),
          "find why the build failed (duplicate keys for a unique index, a cancelled build); the "
          "retry drops the invalid index and builds it again",
          at(session, statement), "INVALID_INDEX"});
    }
  }

  [[noreturn]] void statement_error(const SqlStatement& statement, const StepSession& session,
                                    const pqxx::sql_error& e) {
    SourceLocation where = at(session, statement);
    if (const auto* syntax = dynamic_cast<const pqxx::syntax_error*>(&e);
        syntax && syntax->error_position > 0) {
      auto [l, c] =
          line_and_column(statement.sql, byte_offset(statement.sql, syntax->error_position));
      where.line = statement.line + l - 1;
      where.column = l == 1 ? statement.column + c - 1 : c;
    }
    std::string message = first_message_line(e.what());
    if (e.sqlstate() == "55P03") {
      std::string who;
      for (const auto& b : last_blockers_) {
        who += fmt::format("; blocked by pid {} ({})", b.pid,
                           b.application_name.empty() ? "no application_name" : b.application_name);
      }
      throw Failure(Error{
          ErrorCode::kLockTimeout,
          fmt::format("statement {} could not get its lock within lock_timeout {} ms{}",
                      statement.index, session.lock_timeout.count(), who),
          "the sessions named hold or wait for a conflicting lock; wait for them, end them, or "
          "raise the lock timeout (--lock-timeout, `-- migrate:lock-timeout`)",
          where, e.sqlstate()});
    }
    std::string hint;
    if (e.sqlstate() == "57014") {
      hint = fmt::format(
          "the statement ran longer than statement_timeout {} ms; raise it with "
          "`-- migrate:statement-timeout` or --statement-timeout",
          session.statement_timeout.count());
    }
    throw Failure(Error{ErrorCode::kStatementFailed,
                        fmt::format("statement {} failed: {}", statement.index, message), hint,
                        where, e.sqlstate()});
  }

  std::string url_;
  std::string schema_;
  std::string table_;
  bool read_only_;
  std::string application_;
  LogSink log_;
  std::unique_ptr<pqxx::connection> work_;
  std::unique_ptr<pqxx::connection> lock_conn_;
  std::unique_ptr<pqxx::connection> monitor_;
  std::unique_ptr<pqxx::work> tx_;
  std::pair<std::int32_t, std::int32_t> keys_;
  bool holding_run_lock_ = false;
  std::vector<DatabaseSession> last_blockers_;
};

}  // namespace

std::unique_ptr<Backend> open_postgres_backend(const std::string& url,
                                               const BackendOptions& options) {
  return std::make_unique<PostgresBackend>(url, options);
}

}  // namespace migrate
