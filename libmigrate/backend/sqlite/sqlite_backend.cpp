// SQLite backend: each step runs under the database write lock (BEGIN IMMEDIATE with a busy
// timeout), the whole run under a file lock beside the database (sqlite_run_lock.hpp); the
// history is a table in the same file; statements run one at a time.
#include <pwd.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/backend/sqlite/sqlite_run_lock.hpp"
#include "libmigrate/error/database_condition.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/source/sql_text.hpp"
#include "libmigrate/sql/sqlite_statement.hpp"

namespace migrate {
namespace {

std::string quote_sqlite_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// "SQLITE_CONSTRAINT_FOREIGNKEY"-like names are not exposed by the C API; the primary code's
// name plus the extended number identify the error exactly.
std::string result_code_name(int extended) {
  static const char* const kPrimary[] = {
      "SQLITE_OK",       "SQLITE_ERROR",     "SQLITE_INTERNAL", "SQLITE_PERM",
      "SQLITE_ABORT",    "SQLITE_BUSY",      "SQLITE_LOCKED",   "SQLITE_NOMEM",
      "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR",    "SQLITE_CORRUPT",
      "SQLITE_NOTFOUND", "SQLITE_FULL",      "SQLITE_CANTOPEN", "SQLITE_PROTOCOL",
      "SQLITE_EMPTY",    "SQLITE_SCHEMA",    "SQLITE_TOOBIG",   "SQLITE_CONSTRAINT",
      "SQLITE_MISMATCH", "SQLITE_MISUSE",    "SQLITE_NOLFS",    "SQLITE_AUTH",
      "SQLITE_FORMAT",   "SQLITE_RANGE",     "SQLITE_NOTADB"};
  int primary = extended & 0xff;
  std::string name = primary >= 0 && primary < static_cast<int>(std::size(kPrimary))
                         ? kPrimary[primary]
                         : fmt::format("SQLITE_{}", primary);
  return extended == primary ? name : fmt::format("{}({})", name, extended);
}

// libmigrate's own statement failed: the database's state (read-only, full) when that explains
// it, else a bug of ours.
[[noreturn]] void own_statement_failed(sqlite3* db, const std::string& sql,
                                       sqlite3_stmt* to_reset = nullptr) {
  const int ext = sqlite3_extended_errcode(db);
  std::string message = fmt::format("SQLite error in libmigrate's own statement: {} ({})",
                                    sqlite3_errmsg(db), result_code_name(ext));
  if (to_reset) sqlite3_reset(to_reset);
  if (auto condition = sqlite_condition(ext, sqlite3_system_errno(db)))
    throw Failure(Error{condition->code, message, condition->fix, {}, result_code_name(ext)});
  fail(ErrorCode::kInternal, fmt::format("{}: {}", message, sql));
}

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db), sql_(sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
      fail(ErrorCode::kInternal, fmt::format("SQLite rejected libmigrate's own statement: {} ({})",
                                             sqlite3_errmsg(db), sql));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, const std::optional<std::string>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }
  Statement& bind(int i, const std::optional<bool>& v) {
    return v ? bind(i, static_cast<std::int64_t>(*v)) : bind_null(i);
  }
  Statement& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // True while a row is available.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    own_statement_failed(db_, sql_);
  }
  std::string text(int col) const {
    auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::optional<std::string> optional_text(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return text(col);
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

// What the authorizer saw while a migration statement was prepared.
struct AuthorizerState {
  bool transactional = true;
  std::string refused;  // why the statement was refused, empty if it was not
};

// libmigrate owns transactions and the foreign-key setting around every migration; a statement
// that changes either would break the history's guarantees, so it is refused at prepare time.
// The statement's first keyword, upper-cased ("VACUUM"), empty if it starts otherwise.
std::string leading_keyword(const std::string& sql) {
  std::size_t i = skip_sql_trivia(sql, 0, sql.size(), BlockComments::kFlat);
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  return word;
}

int migration_authorizer(void* user, int action, const char* arg1, const char*, const char*,
                         const char*) {
  auto* state = static_cast<AuthorizerState*>(user);
  if (action == SQLITE_TRANSACTION || action == SQLITE_SAVEPOINT) {
    state->refused = fmt::format(
        "transaction control ({}) inside a migration: libmigrate runs each migration in one "
        "transaction, or with `transaction off` each statement on its own, and records the "
        "history between them",
        arg1 ? arg1 : "");
    return SQLITE_DENY;
  }
  if (action == SQLITE_PRAGMA && arg1 && std::string_view(arg1) == "foreign_keys") {
    state->refused =
        "PRAGMA foreign_keys inside a migration: libmigrate sets it around each migration "
        "(it would be a no-op inside the transaction)";
    return SQLITE_DENY;
  }
  return SQLITE_OK;
}

// A batch bound: an integer key's value binds as an integer, so it compares as one whatever the
// column's affinity; anything else as text.
void bind_value(sqlite3_stmt* stmt, int n, const SqlValue& value) {
  if (!value) {
    sqlite3_bind_null(stmt, n);
    return;
  }
  std::int64_t number = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, number);
  if (ec == std::errc{} && ptr == end && !value->empty())
    sqlite3_bind_int64(stmt, n, number);
  else
    sqlite3_bind_text(stmt, n, value->data(), static_cast<int>(value->size()), SQLITE_TRANSIENT);
}

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(std::string path, const BackendOptions& options)
      : path_(without_parameters(path)),
        url_read_only_(read_only_parameter(path)),
        read_only_(options.read_only || url_read_only_),
        memory_(path_ == ":memory:"),
        application_(options.application_name),
        lock_wait_(options.lock_wait),
        run_lock_(path_ + "-migrate-lock") {
    if (url_read_only_ && !options.read_only) {
      fail(ErrorCode::kReadOnlyDatabase,
           fmt::format("the database URL opens {} read-only (mode=ro); this command writes", path_),
           "remove ?mode=ro from the URL for apply and rollback; status, plan and validate accept "
           "it");
    }
    if (read_only_ && !memory_ && !std::filesystem::exists(path_)) return;  // nothing applied yet
    int flags = read_only_ && !memory_ ? SQLITE_OPEN_READONLY
                                       : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path_.c_str(), &db_, flags | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      fail(ErrorCode::kConnectionFailed,
           fmt::format("cannot open SQLite database {}: {}", path_, why),
           "check that the directory exists and is writable, or fix --db");
    }
    sqlite3_extended_result_codes(db_, 1);
    // SQLite opens a write-protected file read-only without a word; the first write would fail
    // after the plan, so a command that writes is refused now.
    if (!read_only_ && !memory_ && sqlite3_db_readonly(db_, "main") == 1) {
      sqlite3_close(db_);
      db_ = nullptr;
      fail(ErrorCode::kReadOnlyDatabase,
           fmt::format("the SQLite database {} is read-only for this user", path_),
           "make the file (and its directory, for the journal and the lock file) writable for the "
           "user running migrate, or run as its owner; nothing was applied");
    }
    sqlite3_busy_timeout(db_, static_cast<int>(options.lock_wait.count()));
    // Reading the schema of a corrupt or non-database file fails here rather than mid-run.
    char* err = nullptr;
    int rc = sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, &err);
    if (rc == SQLITE_READONLY_ROLLBACK) {
      // A process died inside a write transaction and left a hot journal: the first reader must
      // roll it back, which a read-only connection cannot. Reading through a read-write one (no
      // create) is what any SQLite reader does; it changes nothing a committed reader could see.
      sqlite3_free(err);
      err = nullptr;
      sqlite3_close(db_);
      db_ = nullptr;
      if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                          nullptr) == SQLITE_OK) {
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, static_cast<int>(options.lock_wait.count()));
        rc = sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, &err);
      } else {
        rc = SQLITE_READONLY_ROLLBACK;
      }
    }
    if (rc != SQLITE_OK) {
      std::string why = err ? err : "unknown error";
      sqlite3_free(err);
      fail(ErrorCode::kConnectionFailed,
           fmt::format("{} is not a usable SQLite database: {}", path_, why),
           "point --db at a SQLite database file");
    }
  }
  ~SqliteBackend() override {
    sqlite3_close(scratch_db_);
    if (db_) {
      rollback();
      for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
      sqlite3_close_v2(db_);
    }
    release_run_lock();
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  std::vector<SqlStatement> split(const std::string& sql,
                                  const SourceLocation& file) const override {
    return split_sqlite_statements(sql, file);
  }

  // SQLite statements all run in a transaction except VACUUM (and a few PRAGMAs), which need
  // `-- migrate:transaction off`; SQLite reports that itself when the statement runs. The
  // relations are those SQLite reports while preparing the statement on this connection (row
  // counts for the analyzer); none for tables that do not exist yet.
  StatementTraits describe(const SqlStatement& statement) const override {
    StatementTraits traits;
    // SQLite refuses these in a transaction (or ignores them there): they run in autocommit,
    // and each is harmless to repeat after a run that died while it ran.
    const std::string keyword = leading_keyword(statement.sql);
    if (keyword == "VACUUM" || keyword == "ATTACH" || keyword == "DETACH" || keyword == "PRAGMA") {
      traits.autocommit_only = true;
      traits.recovery = OutcomeRecovery::kRerun;
    }
    // Syntax and transaction control are read on a scratch connection of its own, so they are
    // known before anything runs, also when the database does not exist yet.
    const SqliteSyntax syntax = check_sqlite_syntax(scratch_db(), statement.sql);
    if (!syntax.syntax_error.empty()) {
      // Relative to the statement; the planner places it in the file.
      auto [line, column] =
          LineColumnCursor(statement.sql)
              .at(syntax.error_offset >= 0 ? static_cast<std::size_t>(syntax.error_offset) : 0);
      fail(ErrorCode::kSourceInvalid,
           fmt::format("statement {} is not valid SQLite SQL: {}", statement.index,
                       syntax.syntax_error),
           "fix the statement (SQLite's grammar: https://sqlite.org/lang.html); nothing was "
           "applied",
           {{}, {}, statement.index, line, column});
    }
    if (!syntax.transaction_control.empty()) {
      traits.transaction_control = true;
      return traits;
    }
    if (db_ && !(schema_empty_ && !sqlite3_get_autocommit(db_)))
      traits.relations = describe_sqlite_statement(db_, statement.sql).relations;
    return traits;
  }

  // The write lock (BEGIN IMMEDIATE in begin()) serializes each step; the run lock, a file
  // lock beside the database, keeps a second runner out for the whole run, also between the
  // statements of a `transaction off` step, when no write lock is held.
  void acquire_run_lock(std::chrono::milliseconds wait) override {
    if (memory_) return;
    run_lock_.acquire(wait, application_);
  }
  void release_run_lock() noexcept override { run_lock_.release(); }
  std::vector<DatabaseSession> run_lock_holders() override {
    if (memory_) return {};
    return run_lock_.holders();
  }
  std::vector<DatabaseSession> sessions_of_run(const std::string&) override { return {}; }
  std::vector<DatabaseSession> long_transactions(const std::vector<std::string>&,
                                                 std::chrono::milliseconds) override {
    return {};
  }
  std::vector<DatabaseSession> last_blockers() const override { return {}; }

  CatalogFacts catalog_facts(const std::vector<std::string>& relations,
                             std::chrono::milliseconds) override {
    CatalogFacts facts;
    facts.server_version_num = sqlite3_libversion_number();
    if (!db_) return facts;
    for (const auto& r : relations) {
      Statement exists(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
      exists.bind(1, r);
      if (!exists.step()) continue;
      facts.table_rows[r] = count_rows(r);
    }
    return facts;
  }

  std::map<std::string, TableStatistics> table_statistics(const std::vector<std::string>& relations,
                                                          std::chrono::milliseconds) override {
    std::map<std::string, TableStatistics> out;
    if (!db_) return out;
    // SQLite's declared types: TEXT, CHAR, CLOB, BLOB or none hold variable-width values.
    auto variable_width = [](std::string type) {
      for (auto& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return type.empty() || type.find("CHAR") != std::string::npos ||
             type.find("CLOB") != std::string::npos || type.find("TEXT") != std::string::npos ||
             type.find("BLOB") != std::string::npos;
    };
    for (const auto& r : relations) {
      Statement exists(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
      exists.bind(1, r);
      if (!exists.step()) continue;
      TableStatistics t;
      t.rows = count_rows(r);
      try {
        // dbstat is compiled into most builds (Debian's included); without it, sizes stay 0.
        Statement pages(db_,
                        "SELECT coalesce(sum(pgsize), 0), (SELECT coalesce(sum(d.pgsize), 0) FROM "
                        "dbstat d JOIN sqlite_master m ON m.name = d.name WHERE m.tbl_name = ?1) "
                        "FROM dbstat WHERE name = ?1");
        pages.bind(1, r);
        if (pages.step()) {
          t.heap_bytes = static_cast<double>(pages.integer(0));
          t.total_bytes = static_cast<double>(pages.integer(1));
        }
      } catch (const Failure&) {
      }
      Statement columns(db_, "SELECT lower(name), type FROM pragma_table_info(?1)");
      columns.bind(1, r);
      while (columns.step())
        t.column_variable_width[columns.text(0)] = variable_width(columns.text(1));
      Statement indexes(db_,
                        "SELECT il.name, ii.cid, lower(coalesce(ii.name, '')) FROM "
                        "pragma_index_list(?1) il, pragma_index_xinfo(il.name) ii WHERE ii.key "
                        "ORDER BY il.name, ii.seqno");
      indexes.bind(1, r);
      std::string last;
      while (indexes.step()) {
        if (indexes.text(0) != last) {
          last = indexes.text(0);
          t.index_variable_width.push_back(false);
        }
        const bool expression = indexes.integer(1) == -2;  // -1 is the rowid
        auto it = t.column_variable_width.find(indexes.text(2));
        if (expression || (it != t.column_variable_width.end() && it->second))
          t.index_variable_width.back() = true;
      }
      out[r] = std::move(t);
    }
    return out;
  }

  std::optional<double> planned_rows(const std::string&, std::chrono::milliseconds) override {
    return std::nullopt;  // SQLite's planner gives no row counts; the table's count stands in
  }

  void begin(const StepSession& session, std::chrono::milliseconds wait) override {
    require_writable();
    schema_empty_ = false;
    counted_rows_.clear();
    sqlite3_busy_timeout(db_, static_cast<int>(wait.count()));
    // Outside a transaction on purpose: inside one, the pragma is a no-op.
    exec(session.foreign_keys == ForeignKeyMode::kEnforce ? "PRAGMA foreign_keys = ON"
                                                          : "PRAGMA foreign_keys = OFF");
    char* err = nullptr;
    int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, &err);
    sqlite3_free(err);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
      fail(ErrorCode::kLockTimeout,
           fmt::format("another connection holds the write lock on {}; waited {} ms", path_,
                       wait.count()),
           "wait for the other writer to finish, or raise --lock-wait");
    }
    if (rc != SQLITE_OK) {
      if (auto condition = sqlite_condition(rc, sqlite3_system_errno(db_))) {
        throw Failure(
            Error{condition->code,
                  fmt::format("cannot start a transaction on {}: {}", path_, sqlite3_errmsg(db_)),
                  condition->fix, session.where, result_code_name(rc)});
      }
      fail(ErrorCode::kConnectionFailed,
           fmt::format("cannot start a transaction on {}: {}", path_, sqlite3_errmsg(db_)),
           "check that the database file and its directory are writable");
    }
  }

  void verify(const StepSession& session) override {
    if (session.foreign_keys == ForeignKeyMode::kCheck) check_foreign_keys(session);
  }

  void commit(const StepSession& session) override {
    if (session.transactional) verify(session);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) {
      // Deferred constraints (DEFERRABLE INITIALLY DEFERRED foreign keys in enforce mode) fail
      // here.
      int ext = sqlite3_extended_errcode(db_);
      if (auto condition = sqlite_condition(ext, sqlite3_system_errno(db_))) {
        throw Failure(Error{condition->code, fmt::format("commit failed: {}", sqlite3_errmsg(db_)),
                            condition->fix, session.where, result_code_name(ext)});
      }
      throw Failure(Error{ErrorCode::kStatementFailed,
                          fmt::format("commit failed: {}", sqlite3_errmsg(db_)),
                          "fix the statements so the deferred constraints hold at commit",
                          session.where, result_code_name(ext)});
    }
  }

  void rollback() noexcept override {
    schema_empty_ = false;
    if (db_ && !sqlite3_get_autocommit(db_))
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  void begin_read() override {
    if (!db_ || !sqlite3_get_autocommit(db_)) return;
    exec("BEGIN");
    // An empty schema (a new database) names no table any statement could touch; and SQLite
    // holds no lock on an empty file, so preparing each statement would lock and unlock it.
    schema_empty_ = query("SELECT count(*) FROM sqlite_master", {}).at(0).at(0) == "0";
  }

  bool in_transaction() const noexcept override { return db_ && !sqlite3_get_autocommit(db_); }

  std::optional<std::int64_t> execute(const SqlStatement& statement, const StepSession& session,
                                      const std::vector<SqlValue>& params = {}) override {
    require_writable();
    AuthorizerState auth{session.transactional, {}};
    sqlite3_set_authorizer(db_, migration_authorizer, &auth);
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, statement.sql.c_str(), static_cast<int>(statement.sql.size()),
                                &stmt, &tail);
    sqlite3_set_authorizer(db_, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      int offset = sqlite3_error_offset(db_);
      std::string message = auth.refused.empty() ? sqlite3_errmsg(db_) : auth.refused;
      sqlite3_finalize(stmt);
      statement_error(statement, session, message, rc, offset,
                      auth.refused.empty()
                          ? ""
                          : "remove the statement; split the work into separate migrations, "
                            "or choose `-- migrate:foreign-keys check|enforce`");
    }
    for (std::size_t i = 0; stmt && i < params.size() && i < 2; ++i) {
      const int n = sqlite3_bind_parameter_index(stmt, i == 0 ? ":batch_start" : ":batch_end");
      if (n == 0) continue;
      bind_value(stmt, n, params[i]);
    }
    const sqlite3_int64 changes_before = sqlite3_total_changes64(db_);
    while (stmt && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (stmt && rc != SQLITE_DONE) {
      std::string message = sqlite3_errmsg(db_);
      int ext = sqlite3_extended_errcode(db_);
      int offset = sqlite3_error_offset(db_);
      sqlite3_finalize(stmt);
      statement_error(statement, session, message, ext, offset, "");
    }
    sqlite3_finalize(stmt);
    // The rows the statement itself changed, as PostgreSQL counts them: sqlite3_changes64 leaves
    // out what triggers, foreign key actions and REPLACE change, but keeps its value from an
    // earlier statement across DDL, which changes no rows and so no total either.
    if (sqlite3_total_changes64(db_) == changes_before) return 0;
    return static_cast<std::int64_t>(sqlite3_changes64(db_));
  }

  std::vector<SqlRow> query_statement(const SqlStatement& statement) override {
    if (!db_) return {};  // opened read-only and the file does not exist: nothing is there
    // Not cached: a migration's query runs once.
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, statement.sql.c_str(), static_cast<int>(statement.sql.size()),
                                &stmt, nullptr);
    std::vector<SqlRow> rows;
    if (rc == SQLITE_OK && !stmt) rc = SQLITE_DONE;  // only a comment: no rows
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
      rc = sqlite3_step(stmt);
      if (rc != SQLITE_ROW) break;
      const int columns = sqlite3_column_count(stmt);
      SqlRow row;
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL)
          row.emplace_back();
        else
          row.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
      Error e{ErrorCode::kStatementFailed,
              sqlite3_errmsg(db_),
              "",
              {{}, {}, statement.index, statement.line, statement.column},
              result_code_name(sqlite3_extended_errcode(db_))};
      sqlite3_finalize(stmt);
      throw Failure(std::move(e));
    }
    sqlite3_finalize(stmt);
    return rows;
  }

  std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override {
    if (!db_) return {};  // opened read-only and the file does not exist: nothing is there
    sqlite3_stmt* stmt = cached(sql);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int n = static_cast<int>(i) + 1;
      if (params[i])
        sqlite3_bind_text(stmt, n, params[i]->data(), static_cast<int>(params[i]->size()),
                          SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(stmt, n);
    }
    std::vector<SqlRow> rows;
    int rc;
    const int columns = sqlite3_column_count(stmt);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      SqlRow row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back();
        } else {
          auto* p = sqlite3_column_text(stmt, c);
          row.emplace_back(std::string(reinterpret_cast<const char*>(p),
                                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) own_statement_failed(db_, sql, stmt);
    sqlite3_reset(stmt);
    return rows;
  }

  std::string quote_identifier(const std::string& name) const override {
    return quote_sqlite_identifier(name);
  }

  std::string installed_by() override {
    // SQLite has no database users; the operating-system account is the closest truth.
    if (const passwd* pw = getpwuid(geteuid())) return pw->pw_name;
    return fmt::format("uid:{}", geteuid());
  }

 private:
  void require_writable() const {
    if (!db_ || read_only_) fail(ErrorCode::kInternal, "the SQLite database was opened read-only");
  }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      sqlite3_free(err);
      own_statement_failed(db_, sql);
    }
  }

  void check_foreign_keys(const StepSession& session) {
    Statement q(db_, "PRAGMA foreign_key_check");
    std::vector<std::string> rows;
    std::size_t count = 0;
    while (q.step()) {
      if (++count <= 5) {
        rows.push_back(fmt::format("{} rowid {} references a missing row of {}", q.text(0),
                                   q.is_null(1) ? std::string("(none)") : q.text(1), q.text(2)));
      }
    }
    if (count == 0) return;
    std::string list;
    for (const auto& r : rows) list += "\n  " + r;
    if (count > rows.size()) list += fmt::format("\n  ... and {} more", count - rows.size());
    SourceLocation where = session.where;
    Error e{
        ErrorCode::kStatementFailed,
        fmt::format("{} foreign key violation(s) after the migration's statements{}:{}", count,
                    session.transactional ? "; rolled back"
                                          : " (they ran without a transaction: their rows stay)",
                    list),
        "fix the data or the statements so every reference resolves (PRAGMA foreign_key_check "
        "lists them); `-- migrate:foreign-keys enforce` makes the failing statement itself fail",
        where, "FOREIGN_KEY_VIOLATION"};
    throw Failure(e);
  }

  [[noreturn]] void statement_error(const SqlStatement& statement, const StepSession& session,
                                    const std::string& message, int code, int offset,
                                    const std::string& hint) {
    SourceLocation where = located_at(session.where, statement);
    if (offset >= 0 && static_cast<std::size_t>(offset) < statement.sql.size()) {
      auto [l, c] = line_and_column(statement.sql, static_cast<std::size_t>(offset));
      where.line = statement.line + l - 1;
      where.column = l == 1 ? statement.column + c - 1 : c;
    }
    if (auto condition = sqlite_condition(code, sqlite3_system_errno(db_))) {
      throw Failure(Error{condition->code,
                          fmt::format("statement {} failed: {}", statement.index, message),
                          condition->fix, where, result_code_name(code)});
    }
    throw Failure(Error{ErrorCode::kStatementFailed,
                        fmt::format("statement {} failed: {}", statement.index, message), hint,
                        where, result_code_name(code)});
  }

  // libmigrate's own statements, prepared once per run: the history is written after every step.
  sqlite3_stmt* cached(const std::string& sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
    if (cache_.size() > 64) {  // multi-row inserts vary in size; keep the cache small
      for (auto& [text, stmt] : cache_) sqlite3_finalize(stmt);
      cache_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      std::string why = sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      fail(ErrorCode::kInternal,
           fmt::format("SQLite rejected libmigrate's own statement: {} ({})", why, sql));
    }
    cache_.emplace(sql, stmt);
    return stmt;
  }

  void copy_database_to(const std::string& file) override {
    if (memory_ || !db_)
      fail(ErrorCode::kBackupFailed,
           "an in-memory SQLite database (sqlite::memory:) has no file to back up; nothing was "
           "changed",
           "drop --backup (backup.dir) for sqlite::memory:");
    sqlite3* dest = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &dest, SQLITE_OPEN_READWRITE, nullptr);
    if (rc == SQLITE_OK) {
      sqlite3_backup* backup = sqlite3_backup_init(dest, "main", db_, "main");
      if (!backup) {
        rc = sqlite3_errcode(dest);
      } else {
        // Another connection's write lock makes a step busy: retried for the lock wait.
        const auto give_up = std::chrono::steady_clock::now() + lock_wait_;
        do {
          rc = sqlite3_backup_step(backup, -1);
          if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
              std::chrono::steady_clock::now() < give_up)
            sqlite3_sleep(20);
          else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            break;
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
        const int finished = sqlite3_backup_finish(backup);
        if (rc == SQLITE_DONE) rc = finished;
      }
    }
    if (rc != SQLITE_OK) {
      std::string why = dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc);
      if (why == "not an error") why = sqlite3_errstr(rc);
      sqlite3_close(dest);
      fail(
          ErrorCode::kBackupFailed,
          fmt::format("the backup of {} into {} failed: {}; nothing was changed", path_, file, why),
          "check that the backup directory is writable and its disk has room for a copy of the "
          "database, or run without --backup");
    }
    if (sqlite3_close(dest) != SQLITE_OK)
      fail(ErrorCode::kBackupFailed,
           fmt::format("the backup file {} could not be closed; nothing was changed", file),
           "check the backup directory's disk");
  }

  // "app.db?mode=ro": the path without its URI parameters.
  static std::string without_parameters(const std::string& path) {
    return path.substr(0, path.find('?'));
  }
  // mode=ro is the one parameter understood; anything else would otherwise become part of the
  // file name and create a second database beside the intended one.
  static bool read_only_parameter(const std::string& path) {
    auto q = path.find('?');
    if (q == std::string::npos) return false;
    bool read_only = false;
    std::string rest = path.substr(q + 1);
    std::size_t at = 0;
    while (at <= rest.size()) {
      std::size_t end = std::min(rest.find('&', at), rest.size());
      std::string item = rest.substr(at, end - at);
      if (item == "mode=ro") {
        read_only = true;
      } else if (item != "mode=rw" && item != "mode=rwc") {
        fail(ErrorCode::kUsage,
             fmt::format("unknown SQLite URL parameter '{}' in sqlite:{}", item, path),
             "the only parameter understood is mode=ro (read-only, for status, plan and "
             "validate); write sqlite:PATH otherwise");
      }
      at = end + 1;
    }
    return read_only;
  }

  // Rows counted by catalog_facts() or table_statistics(), both read while planning: counting is
  // a scan of the table, done once per plan. Cleared by begin(), which may change them.
  std::map<std::string, double> counted_rows_;
  double count_rows(const std::string& table) {
    if (auto it = counted_rows_.find(table); it != counted_rows_.end()) return it->second;
    Statement count(db_, fmt::format("SELECT count(*) FROM {}", quote_sqlite_identifier(table)));
    const double n = count.step() ? static_cast<double>(count.integer(0)) : 0;
    return counted_rows_[table] = n;
  }

  std::string path_;
  bool url_read_only_;
  bool read_only_;
  bool memory_;
  std::string application_;
  std::chrono::milliseconds lock_wait_;
  SqliteRunLock run_lock_;
  sqlite3* db_ = nullptr;
  // An empty in-memory database for syntax checks (describe): opened at the first one.
  mutable sqlite3* scratch_db_ = nullptr;
  sqlite3* scratch_db() const {
    if (!scratch_db_ &&
        sqlite3_open_v2(":memory:", &scratch_db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
      sqlite3_close(scratch_db_);
      scratch_db_ = nullptr;
      fail(ErrorCode::kInternal, "SQLite could not open an in-memory database to check syntax");
    }
    return scratch_db_;
  }
  std::map<std::string, sqlite3_stmt*> cache_;
  bool schema_empty_ = false;  // known inside a begin_read() transaction
};

}  // namespace

std::unique_ptr<Backend> open_sqlite_backend(const std::string& path,
                                             const BackendOptions& options) {
  return std::make_unique<SqliteBackend>(path, options);
}

}  // namespace migrate
