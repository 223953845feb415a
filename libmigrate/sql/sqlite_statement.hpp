#pragma once

#include <string>
#include <vector>

#include "libmigrate/sql/sql_statement.hpp"
#include "migrate/error.hpp"

namespace migrate {

// Splits SQLite SQL into statements at the semicolons that sqlite3_complete() accepts as
// statement ends, so strings, quoted names, comments and trigger bodies are handled by SQLite's
// own tokenizer. A final statement without ';' is accepted, as the sqlite3 shell does.
std::vector<SqlStatement> split_sqlite_statements(const std::string& sql,
                                                  const SourceLocation& file);

}  // namespace migrate
