// Helpers shared by the constraint rules (defined in constraint_rules.cpp): names as PostgreSQL
// would give them, and identifiers quoted for the SQL the findings suggest.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace migrate::constraint_sql {

// "schema.table" or "table" as plan_facts keys it.
std::string table_key(const std::string& relation);
// An identifier quoted only when PostgreSQL needs it.
std::string ident(const std::string& name);
// A RangeVar as SQL: ident(schema).ident(name).
std::string qualified(const nlohmann::json& range_var);
// The values of a list of {"String": {"sval": ...}} nodes.
std::vector<std::string> names(const nlohmann::json& string_list);
// "(a, b)" with each column quoted as needed.
std::string column_list(const std::vector<std::string>& columns);
// The name PostgreSQL gives an unnamed constraint or index (<table>_<cols>_<label>, 63 bytes).
std::string default_name(const std::string& table, const std::vector<std::string>& columns,
                         const std::string& label);
// The name PostgreSQL gives an unnamed CHECK constraint.
std::string check_default_name(const std::string& table, const nlohmann::json& raw_expr);
// The statement's own text for `node`, from its location up to `end`.
std::string written_text(const std::string& sql, const nlohmann::json& node, std::size_t end);

}  // namespace migrate::constraint_sql
