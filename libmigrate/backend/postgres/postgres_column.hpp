// One column of a PostgreSQL table as the catalog describes it: what a backfill's `key=` and a
// recipe's generated SQL need to know.
#pragma once

#include <optional>
#include <string>

#include "libmigrate/backend/backend.hpp"

namespace migrate {

struct PostgresColumn {
  std::string type;  // format_type: "bigint", "character varying(200)"
  bool not_null = false;
  bool unique = false;  // a valid unique index on it alone, without predicate or expression
  std::optional<std::string> default_expression;  // pg_get_expr of its default, if any
};

// `table` as to_regclass reads it ("public.orders", "\"Team Members\""); nullopt when the table
// has no such column (or does not exist). Reads the catalog through backend.query().
std::optional<PostgresColumn> postgres_column(Backend& backend, const std::string& table,
                                              const std::string& column);

}  // namespace migrate
