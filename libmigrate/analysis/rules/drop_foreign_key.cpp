// drop-foreign-key (catalog PG-CON-11): dropping a foreign key the migrations created removes an
// integrity guarantee that running code may rely on; it belongs in the contract phase.
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/analysis/rules/constraint_rules.hpp"

namespace migrate {

namespace {

using Json = nlohmann::json;
using namespace pgtree;
using namespace constraint_sql;

// Remembers "fk:<table>.<name>" (and the table it references) for a FOREIGN KEY constraint,
// under the name PostgreSQL gives it when it has none.
void remember(const Json& con, const std::string& column_of_def, const Json& relation,
              const PgMigrationContext& ctx) {
  if (text(con, "contype") != "CONSTR_FOREIGN") return;
  auto columns = names(child(con, "fk_attrs"));
  if (columns.empty() && !column_of_def.empty()) columns.push_back(column_of_def);
  const std::string name = text(con, "conname").empty()
                               ? default_name(text(relation, "relname"), columns, "fkey")
                               : text(con, "conname");
  const std::string key = table_key(relation_name(relation));
  ctx.plan_facts().insert("fk:" + key + "." + name);
  ctx.plan_facts().insert("fk-references:" + key + "." + name + "=" +
                          relation_name(child(con, "pktable")));
}

class DropForeignKey final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "drop-foreign-key",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "DROP CONSTRAINT on a foreign key takes ACCESS EXCLUSIVE on the table and on the table it "
        "references, briefly, and removes an integrity guarantee: from then on nothing stops rows "
        "that point at missing rows, and application code that relied on the database enforcing "
        "it (or on ON DELETE CASCADE) silently stops being protected. It cannot be undone "
        "without validating every row again.",
        "Drop it in the contract phase, once no running application version relies on it, and "
        "say so: `-- migrate:allow drop-foreign-key reason \"...\"`.",
        "ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;",
        "-- migrate:phase contract\n"
        "-- migrate:allow drop-foreign-key reason \"customers move to another service\"\n"
        "ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const Json& node = facts.info.node;
    const Json& relation = child(node, "relation");
    if (facts.info.node_type == "CreateStmt") {
      const Json& elements = child(node, "tableElts");
      if (!elements.is_array()) return;
      for (const auto& element : elements) {
        if (element.contains("Constraint")) {
          remember(element["Constraint"], "", relation, ctx);
        } else if (element.contains("ColumnDef")) {
          const Json& col = element["ColumnDef"];
          for (const Json* con : constraints_in(child(col, "constraints")))
            remember(*con, text(col, "colname"), relation, ctx);
        }
      }
      return;
    }
    if (facts.info.node_type != "AlterTableStmt") return;
    const std::string table = relation_name(relation);
    const std::string key = table_key(table);
    for (const Json* cmd : alter_table_commands(node)) {
      const std::string subtype = text(*cmd, "subtype");
      if (subtype == "AT_DropConstraint") {
        const std::string name = text(*cmd, "name");
        if (!ctx.plan_facts().count("fk:" + key + "." + name)) continue;
        std::string parent;
        const std::string prefix = "fk-references:" + key + "." + name + "=";
        auto it = ctx.plan_facts().lower_bound(prefix);
        if (it != ctx.plan_facts().end() && it->starts_with(prefix))
          parent = it->substr(prefix.size());
        sink.report(info(),
                    "DROP CONSTRAINT " + name + " removes the foreign key from " + table +
                        (parent.empty() ? std::string() : " to " + parent) +
                        ": nothing stops rows pointing at missing rows any more",
                    "drop it in the contract phase, once no running application version relies "
                    "on it, and accept it with -- migrate:allow drop-foreign-key reason \"...\"");
      } else if (subtype == "AT_AddConstraint") {
        remember(child(child(*cmd, "def"), "Constraint"), "", relation, ctx);
      } else if (subtype == "AT_AddColumn") {
        const Json& col = child(child(*cmd, "def"), "ColumnDef");
        for (const Json* con : constraints_in(child(col, "constraints")))
          remember(*con, text(col, "colname"), relation, ctx);
      }
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_drop_foreign_key() {
  return std::make_unique<DropForeignKey>();
}

}  // namespace migrate
