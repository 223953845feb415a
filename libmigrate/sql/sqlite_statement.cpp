#include "libmigrate/sql/sqlite_statement.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>
#include <utility>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/source/sql_text.hpp"

namespace migrate {
namespace {

bool is_internal_name(std::string_view name) {
  auto starts = [&](std::string_view prefix) {
    return name.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), name.begin(), [](char p, char c) {
             return p == std::tolower(static_cast<unsigned char>(c));
           });
  };
  return starts("sqlite_") || starts("pragma_");
}

void add_once(std::vector<std::string>& list, const std::string& name) {
  if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

// One relation access the authorizer reported, in the order reported.
struct Access {
  enum class Kind { kWritten, kAltered, kRead } kind;
  std::string relation;
  std::string source;  // the trigger, view or WITH query it happens in; empty when direct
};

struct AuthorizerLog {
  std::vector<Access> accesses;
  bool out_of_memory = false;
};

// Records the relation of each authorizer call, and touches nothing: PRAGMAs are refused, because
// SQLite applies some of them (foreign_keys, busy_timeout, ...) while compiling them.
int describe_authorizer(void* user, int action, const char* arg1, const char* arg2,
                        const char* database, const char* source) {
  if (action == SQLITE_PRAGMA) return SQLITE_DENY;
  const char* name = nullptr;
  Access::Kind kind = Access::Kind::kRead;
  switch (action) {
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      name = arg1;
      kind = Access::Kind::kWritten;
      break;
    case SQLITE_READ:
    case SQLITE_ANALYZE:
      name = arg1;
      kind = Access::Kind::kRead;
      break;
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_VTABLE:
      name = arg1;
      kind = Access::Kind::kAltered;
      break;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_TEMP_TRIGGER:
      name = arg2;  // arg1 is the index or trigger
      kind = Access::Kind::kAltered;
      break;
    case SQLITE_ALTER_TABLE:
      database = arg1;  // (database, table) for this one
      name = arg2;
      kind = Access::Kind::kAltered;
      break;
    default:
      return SQLITE_OK;
  }
  if (name == nullptr || *name == '\0' || is_internal_name(name)) return SQLITE_OK;
  auto* log = static_cast<AuthorizerLog*>(user);
  try {
    // SQLite leaves the database out where it resolves the name itself (count(*) reads).
    const bool main =
        database == nullptr || *database == '\0' || std::string_view(database) == "main";
    log->accesses.push_back(Access{kind,
                                   main ? std::string(name) : std::string(database) + "." + name,
                                   source ? std::string(source) : std::string()});
  } catch (...) {  // no exception may cross SQLite's C frames
    log->out_of_memory = true;
    return SQLITE_DENY;
  }
  return SQLITE_OK;
}

// The authorizer names a WITH query, a view or a trigger as the source of what happens inside it,
// and cannot tell them apart. A view is named itself where the statement uses it and a trigger is
// not the statement's doing, so only accesses inside WITH queries (names that are no trigger or
// view of the schema) count as the statement's own. Asked after the prepare: an authorizer
// callback must not run statements on its own connection.
bool is_trigger_or_view(sqlite3* db, const std::string& name) {
  static constexpr const char* kSql =
      "SELECT 1 FROM sqlite_master WHERE type IN ('trigger', 'view') AND name = ?1 COLLATE NOCASE "
      "UNION ALL "
      "SELECT 1 FROM sqlite_temp_master WHERE type IN ('trigger', 'view') AND name = ?1 COLLATE "
      "NOCASE";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, kSql, -1, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return true;  // when in doubt, not the statement's own
  }
  sqlite3_bind_text(stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  return rc != SQLITE_DONE;
}

int syntax_authorizer(void* user, int action, const char* arg1, const char* arg2, const char*,
                      const char*) {
  if (action == SQLITE_PRAGMA) return SQLITE_DENY;
  if (action != SQLITE_TRANSACTION && action != SQLITE_SAVEPOINT) return SQLITE_OK;
  auto* syntax = static_cast<SqliteSyntax*>(user);
  try {
    const std::string_view op = arg1 ? arg1 : "";
    const std::string name = arg2 ? arg2 : "";
    if (action == SQLITE_TRANSACTION)
      syntax->transaction_control = op.empty() ? "BEGIN" : std::string(op);
    else if (op == "RELEASE")
      syntax->transaction_control = "RELEASE " + name;
    else if (op == "ROLLBACK")
      syntax->transaction_control = "ROLLBACK TO " + name;
    else
      syntax->transaction_control = "SAVEPOINT " + name;
  } catch (...) {                                // no exception may cross SQLite's C frames
    syntax->transaction_control.assign(1, '?');  // short: fits without allocating
  }
  return SQLITE_DENY;  // found: nothing more to learn from compiling it
}

// The messages SQLite's tokenizer and parser give (sqlite3RunParser); every other compile error
// is about names and the schema.
bool is_parser_message(std::string_view message) {
  return (message.starts_with("near \"") && message.ends_with(": syntax error")) ||
         message == "incomplete input" || message.starts_with("unrecognized token:");
}

}  // namespace

SqliteSyntax check_sqlite_syntax(sqlite3* scratch_db, const std::string& statement_sql) {
  SqliteSyntax syntax;
  if (scratch_db == nullptr) return syntax;
  sqlite3_set_authorizer(scratch_db, syntax_authorizer, &syntax);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(scratch_db, statement_sql.c_str(),
                                    static_cast<int>(statement_sql.size()), &stmt, nullptr);
  sqlite3_set_authorizer(scratch_db, nullptr, nullptr);
  sqlite3_finalize(stmt);  // never stepped
  if (rc == SQLITE_OK || !syntax.transaction_control.empty()) return syntax;
  std::string message = sqlite3_errmsg(scratch_db);
  if ((rc & 0xff) == SQLITE_ERROR && is_parser_message(message)) {
    syntax.syntax_error = std::move(message);
    syntax.error_offset = sqlite3_error_offset(scratch_db);
  }
  return syntax;
}

std::vector<SqlStatement> split_sqlite_statements(const std::string& sql,
                                                  const SourceLocation& file) {
  std::vector<SqlStatement> out;
  // Linear in the file: positions come from a cursor that moves forward from the previous
  // statement, and each byte is copied once, into the statement that holds it.
  LineColumnCursor position(sql);
  auto add = [&](std::size_t begin, std::string text) {
    auto [line, column] = position.at(begin);
    out.push_back(
        SqlStatement{static_cast<int>(out.size()) + 1, begin, line, column, std::move(text)});
  };
  std::size_t start = skip_sql_trivia(sql, 0, sql.size(), BlockComments::kFlat);
  // The text from `start` through the last ';' tried, which sqlite3_complete() did not accept
  // (the ';' is inside a string, comment or trigger body): later tries append to it.
  std::string candidate;
  while (start < sql.size()) {
    if (candidate.empty() && sql[start] == ';') {  // an empty statement: nothing to run
      start = skip_sql_trivia(sql, start + 1, sql.size(), BlockComments::kFlat);
      continue;
    }
    const std::size_t tried = start + candidate.size();
    const auto semi = sql.find(';', tried);
    if (semi == std::string::npos) {
      candidate.append(sql, tried, std::string::npos);
      if (sqlite3_complete((candidate + "\n;").c_str()) != 1) {
        auto [line, column] = position.at(start);
        fail(ErrorCode::kSourceInvalid,
             fmt::format("statement {} starting here is not complete (unterminated string, "
                         "comment, quoted name or trigger body)",
                         out.size() + 1),
             "close the open quote, comment or BEGIN...END block, and end the statement with ';'",
             {file.file, file.version, static_cast<int>(out.size()) + 1, line, column});
      }
      add(start, std::move(candidate));
      break;
    }
    candidate.append(sql, tried, semi + 1 - tried);
    // sqlite3_complete() cannot resume, so a statement with k semicolons inside it (a trigger
    // body) is read k times; any other statement once.
    if (sqlite3_complete(candidate.c_str()) == 1) {
      add(start, std::move(candidate));
      candidate.clear();
      start = skip_sql_trivia(sql, semi + 1, sql.size(), BlockComments::kFlat);
    }
  }
  return out;
}

SqliteStatementInfo describe_sqlite_statement(sqlite3* db, const std::string& statement_sql) {
  SqliteStatementInfo info;
  if (db == nullptr) return info;
  AuthorizerLog log;
  sqlite3_set_authorizer(db, describe_authorizer, &log);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db, statement_sql.c_str(),
                                    static_cast<int>(statement_sql.size()), &stmt, nullptr);
  sqlite3_set_authorizer(db, nullptr, nullptr);
  info.prepared = rc == SQLITE_OK && stmt != nullptr && !log.out_of_memory;
  sqlite3_finalize(stmt);  // never stepped

  std::map<std::string, bool> with_query;  // source -> it is a WITH query of the statement
  for (const Access& a : log.accesses) {
    if (!a.source.empty()) {
      auto it = with_query.find(a.source);
      if (it == with_query.end())
        it = with_query.emplace(a.source, !is_trigger_or_view(db, a.source)).first;
      if (!it->second) continue;
    }
    add_once(info.relations, a.relation);
    add_once(a.kind == Access::Kind::kWritten   ? info.written
             : a.kind == Access::Kind::kAltered ? info.altered
                                                : info.read,
             a.relation);
  }
  return info;
}

}  // namespace migrate
