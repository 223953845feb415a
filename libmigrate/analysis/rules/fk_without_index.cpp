// fk-without-index (catalog PG-CON-10): without an index leading with its columns, every DELETE
// or key UPDATE on the referenced table scans the referencing table to find dependent rows.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/analysis/rules/constraint_rules.hpp"

namespace migrate {

namespace {

using Json = nlohmann::json;
using namespace pgtree;
using namespace constraint_sql;

std::string leading_prefix(const std::string& key) {
  return "index-leading:" + key + ":";
}

// Remembers "index-leading:<table>:<col1,col2,...>": the plain columns an index starts with.
void remember_index(const PgMigrationContext& ctx, const std::string& key,
                    const std::vector<std::string>& columns) {
  if (columns.empty()) return;
  std::string list;
  for (const auto& c : columns) list += (list.empty() ? "" : ",") + c;
  ctx.plan_facts().insert(leading_prefix(key) + list);
}

// Whether a remembered index starts with exactly these columns, in any order (an equality
// lookup on all of them can use it).
bool indexed(const PgMigrationContext& ctx, const std::string& key,
             std::vector<std::string> columns) {
  std::sort(columns.begin(), columns.end());
  const std::string prefix = leading_prefix(key);
  const auto& plan = ctx.plan_facts();
  for (auto it = plan.lower_bound(prefix); it != plan.end() && it->starts_with(prefix); ++it) {
    std::vector<std::string> leading;
    std::string rest = it->substr(prefix.size());
    for (std::size_t start = 0;;) {
      const std::size_t comma = rest.find(',', start);
      leading.push_back(rest.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (leading.size() < columns.size()) continue;
    leading.resize(columns.size());
    std::sort(leading.begin(), leading.end());
    if (leading == columns) return true;
  }
  return false;
}

struct ForeignKey {
  const Json* constraint;
  std::vector<std::string> columns;
};

// Index-backed constraints (PRIMARY KEY, UNIQUE) are remembered; foreign keys are collected.
void scan_constraint(const Json& con, const std::vector<std::string>& column_of_def,
                     const PgMigrationContext& ctx, const std::string& key,
                     std::vector<ForeignKey>& foreign_keys) {
  const std::string type = text(con, "contype");
  if (type == "CONSTR_PRIMARY" || type == "CONSTR_UNIQUE") {
    if (!text(con, "indexname").empty()) return;  // USING INDEX: remembered at CREATE INDEX
    auto keys = names(child(con, "keys"));
    remember_index(ctx, key, keys.empty() ? column_of_def : keys);
  } else if (type == "CONSTR_FOREIGN") {
    auto columns = names(child(con, "fk_attrs"));
    foreign_keys.push_back({&con, columns.empty() ? column_of_def : columns});
  }
}

class FkWithoutIndex final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "fk-without-index",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "PostgreSQL indexes the referenced side of a foreign key, never the referencing side. "
        "Without an index that starts with the foreign key's columns, every DELETE or key UPDATE "
        "on the referenced table (and every ON DELETE CASCADE) scans the referencing table, "
        "holding locks for as long.",
        "Create an index on the referencing columns (CREATE INDEX CONCURRENTLY on an existing "
        "table) before adding the foreign key; on a new table, in the same migration.",
        "CREATE TABLE order_items (\n"
        "  id bigint PRIMARY KEY,\n"
        "  order_id bigint NOT NULL REFERENCES orders (id)\n"
        ");",
        "CREATE TABLE order_items (\n"
        "  order_id bigint NOT NULL REFERENCES orders (id),\n"
        "  line int NOT NULL,\n"
        "  PRIMARY KEY (order_id, line)\n"
        ");"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const Json& node = facts.info.node;
    const std::string& type = facts.info.node_type;
    std::vector<ForeignKey> foreign_keys;
    const Json* relation = &child(node, "relation");
    const std::string key = table_key(relation_name(*relation));

    if (type == "IndexStmt") {
      const std::string method = text(node, "accessMethod");
      if (!child(node, "whereClause").is_null() || !(method.empty() || method == "btree")) return;
      std::vector<std::string> leading;
      for (const auto& param : child(node, "indexParams")) {
        const std::string column = text(child(param, "IndexElem"), "name");
        if (column.empty()) break;  // an expression ends the plain leading columns
        leading.push_back(column);
      }
      remember_index(ctx, key, leading);
      return;
    }
    if (type == "CreateStmt") {
      const Json& elements = child(node, "tableElts");
      if (!elements.is_array()) return;
      for (const auto& element : elements) {
        if (element.contains("Constraint")) {
          scan_constraint(element["Constraint"], {}, ctx, key, foreign_keys);
        } else if (element.contains("ColumnDef")) {
          const Json& col = element["ColumnDef"];
          for (const Json* con : constraints_in(child(col, "constraints")))
            scan_constraint(*con, {text(col, "colname")}, ctx, key, foreign_keys);
        }
      }
    } else if (type == "AlterTableStmt") {
      for (const Json* cmd : alter_table_commands(node)) {
        const std::string subtype = text(*cmd, "subtype");
        const Json& def = child(*cmd, "def");
        if (subtype == "AT_AddConstraint") {
          scan_constraint(child(def, "Constraint"), {}, ctx, key, foreign_keys);
        } else if (subtype == "AT_AddColumn") {
          const Json& col = child(def, "ColumnDef");
          for (const Json* con : constraints_in(child(col, "constraints")))
            scan_constraint(*con, {text(col, "colname")}, ctx, key, foreign_keys);
        }
      }
    } else {
      return;
    }

    for (const auto& fk : foreign_keys) {
      if (fk.columns.empty() || indexed(ctx, key, fk.columns)) continue;
      const std::string table = relation_name(*relation);
      const std::string parent = relation_name(child(*fk.constraint, "pktable"));
      const std::string name = text(*fk.constraint, "conname");
      const std::string columns = column_list(fk.columns);
      sink.report(
          info(),
          fmt::format("foreign key {}on {} ({}) referencing {}: no index in these migrations "
                      "starts with ({}), so each DELETE or key UPDATE on {} scans {}",
                      name.empty() ? std::string() : name + " ", table, columns, parent, columns,
                      parent, table),
          fmt::format("CREATE INDEX CONCURRENTLY {} ON {} ({}); before the foreign key (unless "
                      "an index outside these migrations already starts with these columns)",
                      ident(default_name(text(*relation, "relname"), fk.columns, "idx")),
                      qualified(*relation), columns));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_fk_without_index() {
  return std::make_unique<FkWithoutIndex>();
}

}  // namespace migrate
