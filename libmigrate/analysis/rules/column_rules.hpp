// C (columns): parse-tree helpers shared by the column rules (types as PostgreSQL's grammar
// names them, column definitions a statement makes, column types remembered across statements).
// Definitions in column_rules.cpp.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate::column_rules {

// A column type from a TypeName node. Built-in types carry PostgreSQL's internal name (the
// grammar writes `integer` as pg_catalog.int4, `varchar(20)` as pg_catalog.varchar with typmod
// 20, `timestamp with time zone` as pg_catalog.timestamptz); other types are "schema.name" as
// written, or "name" when unqualified.
struct ColumnType {
  std::string name;       // "int4", "varchar", "bpchar", "timestamp", "json", "serial", ...
  std::vector<int> mods;  // typmods as written: varchar(20) -> {20}, numeric(10,2) -> {10, 2}
  bool array = false;
  bool known() const { return !name.empty(); }
  bool operator==(const ColumnType&) const = default;
};

ColumnType column_type(const nlohmann::json& type_name);
// SQL spelling: "varchar(20)", "integer", "timestamp", "bigint[]".
std::string type_sql(const ColumnType& t);
// "varchar(20)" style encoding and back (for plan_facts).
std::string encode(const ColumnType& t);
ColumnType decode(const std::string& s);

// The SQL of a simple expression (constants, casts, function calls, column references); empty
// when the tree holds something this small printer does not know (libpg_query's JSON drops the
// value of negative integer constants, so those are refused too).
std::string expr_sql(const nlohmann::json& expr);
// NULL or NULL::type.
bool is_null_constant(const nlohmann::json& expr);
// The first function in the expression whose result differs per row (pg_proc.provolatile = 'v'
// for the built-ins and common extensions), "" if none.
std::string volatile_call(const nlohmann::json& expr);

// The first column constraint of kind `contype` ("CONSTR_DEFAULT", ...) of a ColumnDef object.
const nlohmann::json* column_constraint(const nlohmann::json& column_def, const char* contype);

// A column definition made by a statement.
struct ColumnDefinition {
  enum class Kind { kCreateTable, kAddColumn, kAlterType };
  Kind kind = Kind::kCreateTable;
  std::string table;  // as written: "schema.table" or "table"
  std::string column;
  const nlohmann::json* def = nullptr;  // the ColumnDef object (typeName, constraints, ...)
};
// CREATE TABLE columns, ALTER TABLE ... ADD COLUMN and ALTER COLUMN ... TYPE (tables only).
std::vector<ColumnDefinition> column_definitions(const PgStatementInfo& info);
// The start of a message about the column's type: "column t.c is", "new column t.c is" or
// "column t.c becomes" (ALTER COLUMN ... TYPE).
std::string column_is(const ColumnDefinition& d);

// ALTER TABLE on a table (not a foreign table, view, index, sequence or type).
bool is_alter_table(const PgStatementInfo& info);

// Column types declared by earlier statements of the analysed set (CREATE TABLE, ADD COLUMN,
// ALTER COLUMN TYPE, followed through renames and drops), as plan_facts
// "column-type:<table>:<column>=<type>", with the "public." schema left out of <table>.
std::optional<ColumnType> known_column_type(const PgMigrationContext& ctx, const std::string& table,
                                            const std::string& column);
// Updates those facts after `info`. Only alter-column-type-rewrite calls it (after reading the
// old type), so no rule depends on the order in which rules see a statement.
void record_column_types(const PgStatementInfo& info, const PgMigrationContext& ctx);

}  // namespace migrate::column_rules
