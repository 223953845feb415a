// Every statement of a PostgreSQL migration file with what PostgreSQL's parser says of it, from
// one parse of the file: what the analyzer reads (`migrate lint`, plans), where a split followed
// by a parse of each statement cost two parses and a libpg_query call per statement.
#pragma once

#include <functional>
#include <string>

#include "libmigrate/sql/postgres_statement.hpp"

namespace migrate {

// The statements split_postgres_statements gives and, for each, what describe_postgres_statement
// gives (the tree's locations relative to the statement's text), handed to `visit` one at a
// time in file order. Files over 1 MiB are split first and parsed in pieces of whole statements
// of about 1 MiB, so the parse tree in memory stays bounded. Throws what
// split_postgres_statements throws, and describe_postgres_statement's errors with the file,
// version, statement index, and the line and column in the file.
void for_each_postgres_statement(
    const std::string& sql, const SourceLocation& file,
    const std::function<void(SqlStatement&&, PgStatementInfo&&)>& visit);

}  // namespace migrate
