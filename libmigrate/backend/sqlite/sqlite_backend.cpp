// SQLite backend: the migration lock is the database write lock (BEGIN IMMEDIATE with a busy
// timeout), the history is a table in the same file, statements run one at a time.
#include <pwd.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <optional>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/history/timestamp.hpp"
#include "libmigrate/source/sql_text.hpp"
#include "libmigrate/sql/sqlite_statement.hpp"
#include "migrate/library_version.hpp"

namespace migrate {
namespace {

std::string quote_identifier(const std::string& name) {
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

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
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
    fail(ErrorCode::kInternal,
         fmt::format("SQLite error in libmigrate's own statement: {} ({})", sqlite3_errmsg(db_),
                     result_code_name(sqlite3_extended_errcode(db_))));
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
  sqlite3_stmt* stmt_ = nullptr;
};

// What the authorizer saw while a migration statement was prepared.
struct AuthorizerState {
  bool transactional = true;
  std::string refused;  // why the statement was refused, empty if it was not
};

// libmigrate owns transactions and the foreign-key setting around every migration; a statement
// that changes either would break the history's guarantees, so it is refused at prepare time.
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

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(std::string path, const BackendOptions& options)
      : path_(std::move(path)), table_(options.history_table), read_only_(options.read_only) {
    bool memory = path_ == ":memory:";
    if (read_only_ && !memory && !std::filesystem::exists(path_)) return;  // nothing applied yet
    int flags =
        read_only_ && !memory ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path_.c_str(), &db_, flags | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      fail(ErrorCode::kConnectionFailed,
           fmt::format("cannot open SQLite database {}: {}", path_, why),
           "check that the directory exists and is writable, or fix --db");
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(options.lock_wait.count()));
    // Reading the schema of a corrupt or non-database file fails here rather than mid-run.
    char* err = nullptr;
    if (sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, &err) !=
        SQLITE_OK) {
      std::string why = err ? err : "unknown error";
      sqlite3_free(err);
      fail(ErrorCode::kConnectionFailed,
           fmt::format("{} is not a usable SQLite database: {}", path_, why),
           "point --db at a SQLite database file");
    }
  }
  ~SqliteBackend() override {
    if (db_) {
      rollback();
      sqlite3_close_v2(db_);
    }
  }

  std::string dialect() const override { return "sqlite"; }

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
    if (db_) traits.relations = describe_sqlite_statement(db_, statement.sql).relations;
    return traits;
  }

  // The write lock (BEGIN IMMEDIATE in begin()) is the migration lock on SQLite.
  void acquire_run_lock(std::chrono::milliseconds) override {}
  void release_run_lock() noexcept override {}
  std::vector<DatabaseSession> run_lock_holders() override { return {}; }
  std::vector<DatabaseSession> sessions_of_run(const std::string&) override { return {}; }
  std::vector<DatabaseSession> long_transactions(const std::vector<std::string>&,
                                                 std::chrono::milliseconds) override {
    return {};
  }
  std::vector<DatabaseSession> last_blockers() const override { return {}; }

  CatalogFacts catalog_facts(const std::vector<std::string>& relations) override {
    CatalogFacts facts;
    facts.server_version_num = sqlite3_libversion_number();
    if (!db_) return facts;
    for (const auto& r : relations) {
      Statement exists(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
      exists.bind(1, r);
      if (!exists.step()) continue;
      Statement count(db_, fmt::format("SELECT count(*) FROM {}", quote_identifier(r)));
      if (count.step()) facts.table_rows[r] = static_cast<double>(count.integer(0));
    }
    return facts;
  }

  std::vector<Attempt> read_history() override {
    std::vector<Attempt> out;
    if (!db_ || !history_exists()) return out;
    sqlite3_stmt* probe = nullptr;
    std::string sql = fmt::format(
        "SELECT id, history_format, run_id, version, name, direction, checksum, down_checksum, "
        "transactional, started_at, finished_at, success, error_message, error_code, "
        "statement_index, execution_ms, installed_by, client, tool_version, error_statement, "
        "progress_checksum FROM {} ORDER BY id",
        quote_identifier(table_));
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &probe, nullptr) != SQLITE_OK) {
      std::string why = sqlite3_errmsg(db_);
      sqlite3_finalize(probe);
      fail(ErrorCode::kHistoryIncompatible,
           fmt::format("table {} exists but is not a libmigrate history table ({})", table_, why),
           "choose another table with --history-table, or rename the existing table");
    }
    sqlite3_finalize(probe);
    Statement q(db_, sql);
    while (q.step()) {
      Attempt a;
      a.id = q.integer(0);
      a.history_format = static_cast<int>(q.integer(1));
      if (a.history_format > kHistoryFormatVersion) {
        fail(ErrorCode::kHistoryIncompatible,
             fmt::format("history table {} has format {}, newer than this libmigrate reads ({})",
                         table_, a.history_format, kHistoryFormatVersion),
             "upgrade migrate to the version that wrote the history");
      }
      a.run_id = q.text(2);
      a.version = q.text(3);
      a.name = q.text(4);
      std::string dir = q.text(5);
      a.direction = dir == "up"     ? Direction::kUp
                    : dir == "down" ? Direction::kDown
                                    : Direction::kInit;
      a.checksum = q.text(6);
      a.down_checksum = q.optional_text(7);
      a.transactional = q.integer(8) != 0;
      a.started_at = q.text(9);
      a.finished_at = q.optional_text(10);
      if (!q.is_null(11)) a.success = q.integer(11) != 0;
      a.error_message = q.text(12);
      a.error_code = q.text(13);
      a.statement_index = static_cast<int>(q.integer(14));
      a.execution_ms = q.integer(15);
      a.installed_by = q.text(16);
      a.client = q.text(17);
      a.tool_version = q.text(18);
      a.error_statement = static_cast<int>(q.integer(19));
      a.progress_checksum = q.optional_text(20);
      out.push_back(std::move(a));
    }
    return out;
  }

  void begin(const StepSession& session, std::chrono::milliseconds wait) override {
    require_writable();
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
           "wait for the other migrate run or writer to finish, or raise --lock-timeout");
    }
    if (rc != SQLITE_OK) {
      fail(ErrorCode::kConnectionFailed,
           fmt::format("cannot start a transaction on {}: {}", path_, sqlite3_errmsg(db_)),
           "check that the database file and its directory are writable");
    }
    create_history_if_missing();
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
      throw Failure(Error{ErrorCode::kStatementFailed,
                          fmt::format("commit failed: {}", sqlite3_errmsg(db_)),
                          "fix the statements so the deferred constraints hold at commit",
                          session.where, result_code_name(ext)});
    }
  }

  void rollback() noexcept override {
    if (db_ && !sqlite3_get_autocommit(db_))
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  void execute(const SqlStatement& statement, const StepSession& session) override {
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
  }

  std::int64_t insert_attempt(const Attempt& a) override {
    Statement q(
        db_, fmt::format(
                 "INSERT INTO {} (history_format, run_id, version, name, direction, checksum, "
                 "down_checksum, transactional, started_at, finished_at, success, error_message, "
                 "error_code, statement_index, execution_ms, installed_by, client, tool_version, "
                 "error_statement, progress_checksum) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
                 "?17, ?18, ?19, ?20)",
                 quote_identifier(table_)));
    q.bind(1, static_cast<std::int64_t>(a.history_format))
        .bind(2, a.run_id)
        .bind(3, a.version)
        .bind(4, a.name);
    q.bind(5, std::string(to_string(a.direction))).bind(6, a.checksum).bind(7, a.down_checksum);
    q.bind(8, static_cast<std::int64_t>(a.transactional))
        .bind(9, a.started_at)
        .bind(10, a.finished_at);
    q.bind(11, a.success).bind(12, a.error_message).bind(13, a.error_code);
    q.bind(14, static_cast<std::int64_t>(a.statement_index)).bind(15, a.execution_ms);
    q.bind(16, a.installed_by).bind(17, a.client).bind(18, a.tool_version);
    q.bind(19, static_cast<std::int64_t>(a.error_statement)).bind(20, a.progress_checksum);
    q.step();
    return sqlite3_last_insert_rowid(db_);
  }

  void update_attempt(const Attempt& a) override {
    Statement q(
        db_,
        fmt::format(
            "UPDATE {} SET finished_at = ?1, success = ?2, error_message = ?3, error_code = ?4, "
            "statement_index = ?5, execution_ms = ?6, error_statement = ?8, progress_checksum = ?9 "
            "WHERE id = ?7",
            quote_identifier(table_)));
    q.bind(1, a.finished_at).bind(2, a.success).bind(3, a.error_message).bind(4, a.error_code);
    q.bind(5, static_cast<std::int64_t>(a.statement_index)).bind(6, a.execution_ms).bind(7, a.id);
    q.bind(8, static_cast<std::int64_t>(a.error_statement)).bind(9, a.progress_checksum);
    q.step();
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
      std::string why = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      fail(ErrorCode::kInternal, fmt::format("SQLite failed on `{}`: {}", sql, why));
    }
  }

  bool history_exists() {
    Statement q(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
    q.bind(1, table_);
    return q.step();
  }

  void create_history_if_missing() {
    if (history_exists()) return;
    exec(fmt::format("CREATE TABLE {} (\n"
                     "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                     "  history_format INTEGER NOT NULL,\n"
                     "  run_id TEXT NOT NULL,\n"
                     "  version TEXT NOT NULL,\n"
                     "  name TEXT NOT NULL,\n"
                     "  direction TEXT NOT NULL CHECK (direction IN ('up', 'down', 'init')),\n"
                     "  checksum TEXT NOT NULL,\n"
                     "  down_checksum TEXT,\n"
                     "  transactional INTEGER NOT NULL,\n"
                     "  started_at TEXT NOT NULL,\n"
                     "  finished_at TEXT,\n"
                     "  success INTEGER,\n"
                     "  error_message TEXT NOT NULL DEFAULT '',\n"
                     "  error_code TEXT NOT NULL DEFAULT '',\n"
                     "  statement_index INTEGER NOT NULL DEFAULT 0,\n"
                     "  execution_ms INTEGER NOT NULL DEFAULT 0,\n"
                     "  installed_by TEXT NOT NULL,\n"
                     "  client TEXT NOT NULL,\n"
                     "  tool_version TEXT NOT NULL,\n"
                     "  error_statement INTEGER NOT NULL DEFAULT 0,\n"
                     "  progress_checksum TEXT\n"
                     ")",
                     quote_identifier(table_))
             .c_str());
    // The first row records when, by which release and in which format the table was made.
    Statement q(
        db_,
        fmt::format(
            "INSERT INTO {} (history_format, run_id, version, name, direction, checksum, "
            "transactional, started_at, finished_at, success, installed_by, client, tool_version) "
            "VALUES (?1, '', '', '', 'init', '', 1, ?2, ?2, 1, ?3, '', ?4)",
            quote_identifier(table_)));
    q.bind(1, static_cast<std::int64_t>(kHistoryFormatVersion)).bind(2, utc_timestamp());
    q.bind(3, installed_by()).bind(4, std::string(kLibraryVersion));
    q.step();
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
    SourceLocation where = session.where;
    where.statement = statement.index;
    where.line = statement.line;
    where.column = statement.column;
    if (offset >= 0 && static_cast<std::size_t>(offset) < statement.sql.size()) {
      auto [l, c] = line_and_column(statement.sql, static_cast<std::size_t>(offset));
      where.line = statement.line + l - 1;
      where.column = l == 1 ? statement.column + c - 1 : c;
    }
    throw Failure(Error{ErrorCode::kStatementFailed,
                        fmt::format("statement {} failed: {}", statement.index, message), hint,
                        where, result_code_name(code)});
  }

  std::string path_;
  std::string table_;
  bool read_only_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> open_sqlite_backend(const std::string& path,
                                             const BackendOptions& options) {
  return std::make_unique<SqliteBackend>(path, options);
}

}  // namespace migrate
