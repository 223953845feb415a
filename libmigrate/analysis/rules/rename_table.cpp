// rename-table (catalog PG-TBL-02): renaming a table (or view, or moving it to another schema)
// breaks every deployed client that still uses the old name, at once.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

const char* kind_of(const std::string& object_type) {
  if (object_type == "OBJECT_TABLE") return "table";
  if (object_type == "OBJECT_VIEW") return "view";
  if (object_type == "OBJECT_MATVIEW") return "materialized view";
  if (object_type == "OBJECT_FOREIGN_TABLE") return "foreign table";
  return nullptr;
}

class RenameTable final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "rename-table",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "Renaming a table takes only a brief ACCESS EXCLUSIVE lock, but every deployed client "
        "that still uses the old name fails from the moment the migration commits.",
        "Expand/contract: rename the table and, in the same transaction, create a view with the "
        "old name (a simple view is updatable, so old clients keep reading and writing); drop "
        "the view in a later contract-phase migration once no deployed version uses the old "
        "name.",
        "ALTER TABLE customers RENAME TO clients;",
        "ALTER TABLE customers RENAME TO clients;\nCREATE VIEW customers AS SELECT * FROM "
        "clients;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const auto& node = facts.info.node;
    if (facts.info.node_type == "RenameStmt") {
      const char* kind = kind_of(pgtree::text(node, "renameType"));
      if (kind == nullptr) return;
      const std::string old_name = pgtree::relation_name(pgtree::child(node, "relation"));
      if (ctx.created_in_this_migration(old_name)) return;
      const std::string schema = pgtree::text(pgtree::child(node, "relation"), "schemaname");
      const std::string new_name = pgtree::text(node, "newname");
      const std::string new_qualified = schema.empty() ? new_name : schema + "." + new_name;
      const std::string message = std::string("renaming ") + kind + " " + old_name + " to " +
                                  new_name + " breaks every client that still uses " + old_name;
      if (std::string(kind) != "table") {
        sink.report(info(), message);
        return;
      }
      sink.report(info(), message,
                  "ALTER TABLE " + old_name + " RENAME TO " + new_name + ";\nCREATE VIEW " +
                      old_name + " AS SELECT * FROM " + new_qualified + ";\n-- and DROP VIEW " +
                      old_name + " in a contract-phase migration once no deployed version uses it");
    } else if (facts.info.node_type == "AlterObjectSchemaStmt") {
      const char* kind = kind_of(pgtree::text(node, "objectType"));
      if (kind == nullptr) return;
      const std::string old_name = pgtree::relation_name(pgtree::child(node, "relation"));
      if (ctx.created_in_this_migration(old_name)) return;
      const std::string new_schema = pgtree::text(node, "newschema");
      const std::string relname = pgtree::text(pgtree::child(node, "relation"), "relname");
      const std::string message = std::string("moving ") + kind + " " + old_name + " to schema " +
                                  new_schema + " breaks every client that still uses the old name";
      if (std::string(kind) != "table") {
        sink.report(info(), message);
        return;
      }
      sink.report(info(), message,
                  "ALTER TABLE " + old_name + " SET SCHEMA " + new_schema + ";\nCREATE VIEW " +
                      old_name + " AS SELECT * FROM " + new_schema + "." + relname +
                      ";\n-- and DROP VIEW " + old_name +
                      " in a contract-phase migration once no deployed version uses it");
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_rename_table() {
  return std::make_unique<RenameTable>();
}

}  // namespace migrate
