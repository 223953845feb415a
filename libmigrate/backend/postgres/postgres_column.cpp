#include "libmigrate/backend/postgres/postgres_column.hpp"

namespace migrate {

std::optional<PostgresColumn> postgres_column(Backend& backend, const std::string& table,
                                              const std::string& column) {
  auto rows = backend.query(
      "SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull, EXISTS (SELECT 1 FROM pg_index "
      "i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indisvalid AND i.indnatts = 1 AND "
      "i.indkey[0] = a.attnum AND i.indpred IS NULL AND i.indexprs IS NULL), "
      "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = "
      "a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = to_regclass($1) AND a.attname = $2 "
      "AND a.attnum > 0 AND NOT a.attisdropped",
      {table, column});
  if (rows.empty()) return std::nullopt;
  return PostgresColumn{rows[0][0].value_or(""), rows[0][1].value_or("f") == "t",
                        rows[0][2].value_or("f") == "t", rows[0][3]};
}

}  // namespace migrate
