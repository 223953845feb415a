// What one SQLite statement does, from what SQLite itself reported: the authorizer's actions while
// it was prepared and the copy's schema before and after it ran. Kept apart from the analysis
// context (which runs statements) and the rules (which judge them), as pg_statement_effects is.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libmigrate/analysis/sqlite_rule.hpp"

namespace migrate {

class SqliteAnalysisContext;

// What happened when one statement met the copy.
struct SqliteExecution {
  std::vector<SqliteAction> actions;  // the authorizer's, while the statement was prepared
  std::string error;                  // empty when it ran (or was not run on purpose)
  bool prepared = false;
  bool executed = false;
  bool empty = false;  // only comments
  int column_count = 0;
};

// The authorizer callback: appends each action to the std::vector<SqliteAction> `user` points to.
int collect_sqlite_action(void* user, int code, const char* arg1, const char* arg2,
                          const char* arg3, const char* source);

// The statement's primary action, its table and the tables it reads and writes.
struct SqliteDescription {
  std::string action;
  std::string table;
  std::string column;
  std::string new_name;
  std::vector<std::string> read_tables, written_tables;
  bool returning = false;
  bool upsert = false;
};

// From the actions, and for ALTER TABLE (which the authorizer does not tell apart) from the
// schema before and after; from the leading keywords when SQLite refused the statement early.
SqliteDescription describe_sqlite_statement(const SqliteExecution& e, const std::string& sql,
                                            const SqliteSchema& before, const SqliteSchema& after);

// Class, locks, rewrite and scan of a statement that SQLite understood, before its findings.
StatementAnalysis sqlite_statement_effects(const SqliteStatementFacts& f,
                                           const SqliteAnalysisContext& ctx);

// A statement about tables the analysed migrations never created (one file linted alone): not
// run; its class is read from its leading keywords.
StatementAnalysis sqlite_unknown_statement_effects(const std::string& sql,
                                                   const std::string& missing);

// "no such table: main.orders" -> "orders"; empty when the error is about something else.
std::string sqlite_missing_object(const std::string& error);

// "error in view v: no such table: main.orders" (also "... after rename: ..."): the view or
// trigger named, and the table it is missing.
std::pair<std::string, std::string> sqlite_broken_dependent(const std::string& error);

// The first few tokens of a statement: keywords and names (quotes removed), other characters one
// by one. Used only where SQLite gives nothing to go on (a statement it refused before the
// authorizer ran, or one without authorizer actions such as VACUUM).
std::vector<std::string> sqlite_leading_tokens(const std::string& sql, std::size_t max);

std::string sqlite_upper(std::string s);              // ASCII upper case
bool is_sqlite_internal_name(std::string_view name);  // sqlite_..., pragma_...

}  // namespace migrate
