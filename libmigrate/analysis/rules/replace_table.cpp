// replace-table (catalog PG-TBL-09): DROP TABLE t followed by CREATE TABLE t in the same
// migration (Rails' `force: true`) silently replaces a table full of rows with an empty one.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

// "public.t" and "t" name the same table here.
std::string normalized(const std::string& relation) {
  return relation.rfind("public.", 0) == 0 ? relation.substr(7) : relation;
}

class ReplaceTable final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "replace-table",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "DROP TABLE [IF EXISTS] t followed by CREATE TABLE t in the same migration looks like a "
        "harmless create, but on a database where t exists it throws away every row: silent data "
        "loss, and clients see an empty table.",
        "Only CREATE the table (CREATE TABLE IF NOT EXISTS when a rerun must succeed); change an "
        "existing table with ALTER TABLE, and drop it only in a contract-phase migration of its "
        "own.",
        "DROP TABLE IF EXISTS audit_log;\nCREATE TABLE audit_log (id bigint PRIMARY KEY, entry "
        "text);",
        "CREATE TABLE IF NOT EXISTS audit_log (id bigint PRIMARY KEY, entry text);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    std::string created;
    if (facts.info.node_type == "CreateStmt")
      created = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
    else if (facts.info.node_type == "CreateTableAsStmt" &&
             pgtree::text(facts.info.node, "objtype") == "OBJECT_TABLE")
      created = pgtree::relation_name(pgtree::child(pgtree::child(facts.info.node, "into"), "rel"));
    if (created.empty()) return;
    for (const PgStatementInfo* earlier : ctx.earlier_in_migration()) {
      if (earlier->node_type != "DropStmt" ||
          pgtree::text(earlier->node, "removeType") != "OBJECT_TABLE")
        continue;
      for (const auto& dropped : earlier->relations) {
        if (normalized(dropped) != normalized(created)) continue;
        sink.report(info(),
                    "CREATE TABLE " + created + " recreates the table an earlier DROP TABLE " +
                        dropped +
                        " of this migration removed: where it exists, every row is lost and "
                        "clients see an empty table",
                    "remove the DROP TABLE; create the table only if it is missing (CREATE TABLE "
                    "IF NOT EXISTS " +
                        created + " ...) and change an existing one with ALTER TABLE");
        return;
      }
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_replace_table() {
  return std::make_unique<ReplaceTable>();
}

}  // namespace migrate
