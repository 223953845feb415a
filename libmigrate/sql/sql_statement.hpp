// The statements of a migration file, and what the database's own parser says about them.
// The sql/ layer splits files into statements and describes them (postgres_statement.hpp,
// sqlite_statement.hpp). It may include source/ and error/; backend/ and analysis/ include it,
// never the other way round.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "migrate/error.hpp"
#include "migrate/statement_outcome.hpp"

namespace migrate {

// One statement of a file, with its position for error messages.
struct SqlStatement {
  int index = 0;           // 1-based within the file
  std::size_t offset = 0;  // byte offset of its first significant character in the file
  int line = 0;            // 1-based
  int column = 0;          // 1-based, in bytes
  std::string sql;         // from the first significant character through the terminator
};

// Where `statement` starts in `file` (whose file and version are kept): what every error about a
// statement points at.
inline SourceLocation located_at(SourceLocation file, const SqlStatement& statement) {
  file.statement = statement.index;
  file.line = statement.line;
  file.column = statement.column;
  return file;
}

// What the database's own parser says about one statement.
struct StatementTraits {
  bool can_run_in_transaction = true;
  std::string non_transactional_reason;  // "CREATE INDEX CONCURRENTLY", empty if transactional
  bool takes_relation_lock = false;      // lock_timeout and retries apply
  std::vector<std::string> relations;    // as written: "schema.table" or "table"
  bool transaction_control = false;      // BEGIN, COMMIT, SAVEPOINT, ...
  // SET, RESET, or a statement that may call set_config() (SELECT, DO, CALL): the session's
  // lock_timeout / statement_timeout may differ afterwards from what libmigrate set.
  bool may_change_settings = false;
  // Must run outside any transaction even when it runs on its own (PostgreSQL: the commands it
  // refuses in a transaction block; SQLite: VACUUM, ATTACH, DETACH, PRAGMA). A statement of a
  // `transaction off` migration without it runs in a transaction of its own, together with its
  // history update, so its outcome is never in doubt.
  bool autocommit_only = false;
  OutcomeRecovery recovery = OutcomeRecovery::kUnknown;  // meaningful when autocommit_only
};

}  // namespace migrate
