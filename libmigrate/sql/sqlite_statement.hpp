// What a SQLite migration statement is, read from SQLite itself: statement boundaries from its
// tokenizer (sqlite3_complete) and the tables a statement touches from its authorizer while it
// prepares the statement. Nothing here parses SQL by hand.
#pragma once

#include <string>
#include <vector>

#include "libmigrate/sql/sql_statement.hpp"
#include "migrate/error.hpp"

struct sqlite3;  // <sqlite3.h>

namespace migrate {

// Splits SQLite SQL into statements at the semicolons that sqlite3_complete() accepts as
// statement ends, so strings, quoted names, comments and trigger bodies are handled by SQLite's
// own tokenizer. A final statement without ';' is accepted, as the sqlite3 shell does.
std::vector<SqlStatement> split_sqlite_statements(const std::string& sql,
                                                  const SourceLocation& file);

// The tables and views one statement touches, as SQLite's authorizer reported them while SQLite
// prepared (compiled, never ran) the statement.
struct SqliteStatementInfo {
  // SQLite compiled the statement. False when it did not: a table that does not exist yet (made
  // by an earlier migration that has not run), a syntax error, or a PRAGMA, which is never
  // compiled here because SQLite applies some PRAGMAs while compiling them. The lists then hold
  // what the authorizer reported before that, often nothing.
  bool prepared = false;
  // Each relation the statement names itself, in its own text or in its WITH queries (not those
  // reached only inside a trigger or a view; a view used is itself named), as SQLite names it: an
  // existing table as its schema spells it, a new one as written; "schema.name" when not in the
  // main database. In the order first reported, without repeats, without SQLite's own sqlite_*
  // tables. `relations` holds all of them, the others say how each is touched.
  std::vector<std::string> relations;
  std::vector<std::string> written;  // rows inserted, updated or deleted
  // Created, altered or dropped, or given or stripped of an index or trigger.
  std::vector<std::string> altered;
  std::vector<std::string> read;  // rows read (including SQLite's own "is it empty?" probes)
};

// Describes ONE statement (as split_sqlite_statements returns it; text after the first statement
// is ignored) by preparing it on `db` with an authorizer, and finalizing it unstepped. The
// statement is resolved against `db`'s schema as it is now, which is also read (sqlite_master) to
// tell WITH queries from triggers and views. The authorizer replaces any other on `db` for the
// call, and none is installed afterwards. Never throws for a statement SQLite refuses (see
// SqliteStatementInfo::prepared); a null `db` gives an empty description.
SqliteStatementInfo describe_sqlite_statement(sqlite3* db, const std::string& statement_sql);

// What SQLite's parser alone says about one statement, before anything runs: whether it is SQL
// at all, and whether it controls transactions. A statement that names a table that does not
// exist yet (an earlier migration of the run creates it) is not a syntax error: only SQLite's
// own parser messages ("near ...: syntax error", "incomplete input", "unrecognized token") are.
struct SqliteSyntax {
  std::string syntax_error;  // SQLite's message when the statement does not parse; else empty
  // Byte offset in the statement of the token SQLite stopped at; -1 when SQLite does not say.
  int error_offset = -1;
  // BEGIN, COMMIT, ROLLBACK, END, SAVEPOINT, RELEASE: the action as SQLite's authorizer names it
  // ("BEGIN", "SAVEPOINT <name>", "RELEASE <name>", "ROLLBACK TO <name>"); empty for every other
  // statement.
  std::string transaction_control;
};

// Compiles (never runs) ONE statement on `scratch_db`, a connection of its own with an empty
// schema that nothing else uses, with an authorizer that refuses every PRAGMA (SQLite applies
// some while compiling them). Never throws.
SqliteSyntax check_sqlite_syntax(sqlite3* scratch_db, const std::string& statement_sql);

}  // namespace migrate
