// prefer-bigint (catalog PG-COL-08, part): an integer or smallint primary key runs out (2^31-1,
// 32767), and widening it later rewrites the table, its indexes and every referencing column.
// Every other new integer or smallint column gets the same advice as hygiene (counters, foreign
// keys and amounts outgrow them too); one finding per column, the key message first.
#include <fmt/format.h>

#include <algorithm>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

using column_rules::ColumnDefinition;
using column_rules::ColumnType;
using Json = nlohmann::json;

struct KeyColumn {
  std::string table;
  std::string column;
  ColumnType type;
  bool generated = false;  // serial or identity: a counter that only grows
  bool single = false;     // the whole primary key
};

bool is_serial(const std::string& n) {
  return n.find("serial") != std::string::npos;
}

// The maximum of a narrow key type, 0 for the others.
const char* narrow_max(const std::string& n) {
  if (n == "int4" || n == "serial" || n == "serial4") return "2147483647";
  if (n == "int2" || n == "smallserial" || n == "serial2") return "32767";
  return nullptr;
}

class PreferBigint final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "prefer-bigint",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "An integer (or smallint, serial, smallserial) primary key runs out at 2147483647 (or "
        "32767) and inserts start failing; widening it to bigint then rewrites the table, its "
        "indexes and every foreign key column that references it, under ACCESS EXCLUSIVE. Any "
        "other new integer or smallint column (CREATE TABLE, ADD COLUMN) is reported too, as "
        "hygiene: foreign keys to bigint keys, counters and amounts outgrow them the same way. "
        "Info, on by default; silence it per migration with `-- migrate:allow prefer-bigint "
        "reason \"...\"`.",
        "Declare primary keys bigint, and generated keys bigint GENERATED ALWAYS AS IDENTITY "
        "(identity rather than serial); other integer columns bigint unless the domain is "
        "bounded by design. The 4 extra bytes per row cost far less than the migration.",
        "CREATE TABLE orders (id serial PRIMARY KEY, total numeric);",
        "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total "
        "numeric);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const auto defs = column_rules::column_definitions(facts.info);
    auto defined_here = [&](const std::string& column) -> const ColumnDefinition* {
      const ColumnDefinition* found = nullptr;
      for (const auto& d : defs)
        if (d.column == column) found = &d;
      return found;
    };
    auto key_column = [&](const std::string& table, const std::string& column, bool single) {
      KeyColumn k{table, column, {}, false, single};
      if (const ColumnDefinition* d = defined_here(column)) {
        k.type = column_rules::column_type(pgtree::child(*d->def, "typeName"));
        k.generated = column_rules::column_constraint(*d->def, "CONSTR_IDENTITY") != nullptr;
      } else if (auto known = column_rules::known_column_type(ctx, table, column)) {
        k.type = *known;
      }
      k.generated = k.generated || is_serial(k.type.name);
      return k;
    };

    std::vector<KeyColumn> keys;
    for (const auto& d : defs)
      if (d.kind != ColumnDefinition::Kind::kAlterType &&
          column_rules::column_constraint(*d.def, "CONSTR_PRIMARY") != nullptr)
        keys.push_back(key_column(d.table, d.column, true));

    auto table_constraint = [&](const std::string& table, const Json& con) {
      if (pgtree::text(con, "contype") != "CONSTR_PRIMARY") return;
      const Json& cols = pgtree::child(con, "keys");
      if (!cols.is_array()) return;  // PRIMARY KEY USING INDEX: columns not in the statement
      for (const auto& c : cols)
        keys.push_back(
            key_column(table, pgtree::text(pgtree::child(c, "String"), "sval"), cols.size() == 1));
    };
    if (facts.info.node_type == "CreateStmt") {
      const std::string table = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
      for (const Json* con : pgtree::constraints_in(pgtree::child(facts.info.node, "tableElts")))
        table_constraint(table, *con);
    } else if (column_rules::is_alter_table(facts.info)) {
      const std::string table = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
      for (const Json* cmd : pgtree::alter_table_commands(facts.info.node))
        if (pgtree::text(*cmd, "subtype") == "AT_AddConstraint")
          table_constraint(table, pgtree::child(pgtree::child(*cmd, "def"), "Constraint"));
    }

    std::vector<std::string> reported;  // "table.column" already reported as a key
    for (const auto& k : keys) {
      const char* max = narrow_max(k.type.name);
      if (max == nullptr || k.type.array || !(k.single || k.generated)) continue;
      reported.push_back(k.table + "." + k.column);
      sink.report(info(),
                  fmt::format("primary key column {}.{} is {}: it runs out at {}, and widening it "
                              "to bigint later rewrites {}, its indexes and every foreign key "
                              "column that references it",
                              k.table, k.column, column_rules::type_sql(k.type), max, k.table),
                  fmt::format("declare {} as {}", k.column,
                              k.generated ? "bigint GENERATED ALWAYS AS IDENTITY" : "bigint"));
    }
    for (const auto& d : defs) {
      if (d.kind == ColumnDefinition::Kind::kAlterType) continue;  // an existing column
      const auto type = column_rules::column_type(pgtree::child(*d.def, "typeName"));
      const char* max = narrow_max(type.name);
      if (max == nullptr || type.array) continue;
      if (std::find(reported.begin(), reported.end(), d.table + "." + d.column) != reported.end())
        continue;
      // Key columns of a composite key (a join table's) are reported too, as plain columns.
      const bool serial = is_serial(type.name);
      sink.report(
          info(),
          fmt::format("{} {}: it runs out at {}, and widening it to bigint later "
                      "rewrites {} under ACCESS EXCLUSIVE",
                      column_rules::column_is(d), column_rules::type_sql(type), max, d.table),
          fmt::format("declare {} as {}", d.column,
                      serial ? "bigint GENERATED ALWAYS AS IDENTITY" : "bigint"));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_prefer_bigint() {
  return std::make_unique<PreferBigint>();
}

}  // namespace migrate
