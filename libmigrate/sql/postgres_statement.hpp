// What a PostgreSQL migration statement is, read from PostgreSQL's own parser (libpg_query, the
// PostgreSQL 15 grammar): statement boundaries, whether it may run inside a transaction block,
// whether it waits for relation locks, and which relations it names. Nothing here looks at SQL
// text except to skip whitespace and comments at the start of a statement.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "libmigrate/sql/sql_statement.hpp"
#include "migrate/error.hpp"

namespace migrate {

// Splits PostgreSQL SQL into statements with pg_query_split_with_parser, so strings, E'' strings,
// dollar-quoted bodies, nested comments and CREATE RULE action lists are handled by PostgreSQL's
// grammar. Each statement's `sql` runs from its first significant character (leading whitespace
// and comments skipped) through its terminating ';', which is included, as in the SQLite twin. A
// final statement without ';' is accepted and runs to the end of the input minus trailing
// whitespace. Empty statements (";;", comments only) are skipped and take no index.
// Throws Failure(kSourceInvalid) on a syntax error, with the file, version, the 1-based index of
// the statement holding the error (0 if it cannot be determined), and the error's line and byte
// column in the file; also for a NUL byte, which PostgreSQL cannot receive.
std::vector<SqlStatement> split_postgres_statements(const std::string& sql,
                                                    const SourceLocation& file);

// An index build or drop that runs CONCURRENTLY: it commits internally, so a failure can leave an
// INVALID index behind that the caller may need to name.
struct ConcurrentIndexAction {
  enum class Kind { kCreate, kDrop, kReindex } kind = Kind::kCreate;
  // The index's schema as written, empty if unqualified. For CREATE, where the index name cannot
  // be qualified, the table's schema (PostgreSQL creates the index there).
  std::string schema;
  std::string index_name;    // CREATE: idxname, empty if unnamed; REINDEX TABLE: empty
  std::string table_schema;  // CREATE and REINDEX TABLE: the table's schema as written, else empty
  std::string table;         // CREATE and REINDEX TABLE: the table, else empty
  bool if_not_exists = false;  // CREATE ... IF NOT EXISTS
  bool if_exists = false;      // DROP ... IF EXISTS
};

struct PgStatementInfo {
  std::string node_type;  // top-level parse node, e.g. "IndexStmt", "AlterTableStmt"
  bool can_run_in_transaction = true;
  // PostgreSQL's own name for the refused command, as in its "... cannot run inside a transaction
  // block" error, e.g. "CREATE INDEX CONCURRENTLY"; empty when transactional.
  std::string non_transactional_reason;
  bool takes_relation_lock = false;  // may wait for a relation lock (lock_timeout matters)
  // Relations it names: every RangeVar (plus the objects of DROP TABLE/INDEX/VIEW/SEQUENCE/
  // MATERIALIZED VIEW/FOREIGN TABLE and the tables of DROP TRIGGER/RULE/POLICY, which the grammar
  // keeps as plain name lists), as "schema.name" or "name" as qualified in the text, with
  // identifiers as PostgreSQL reads them (unquoted names folded to lower case). Deduplicated, in
  // source order. Unqualified references to a WITH query of the statement are left out.
  std::vector<std::string> relations;
  std::optional<ConcurrentIndexAction> concurrent_index;
  // For a statement that cannot run in a transaction: how a run that died after sending it
  // finds out whether it took effect.
  OutcomeRecovery recovery = OutcomeRecovery::kUnknown;
  bool is_transaction_control = false;  // BEGIN/COMMIT/ROLLBACK/SAVEPOINT... (TransactionStmt)
  // The statement's parse node (the value under `node_type`), libpg_query's JSON form, for the
  // analyzer's rules.
  nlohmann::json node;
};

// Parses ONE statement (as returned by split_postgres_statements; the trailing ';' may be there).
// Throws Failure(kSourceInvalid) on a syntax error, with line and column relative to the
// statement text and no file (callers offset and fill them). Throws Failure(kInternal) when the
// text holds no statement or more than one: that is a caller error.
PgStatementInfo describe_postgres_statement(const std::string& statement_sql);

}  // namespace migrate
