// drop-schema-database (catalog PG-TBL-08): DROP SCHEMA, DROP DATABASE and renaming a schema
// remove or hide every object inside at once.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class DropSchemaDatabase final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "drop-schema-database",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "DROP SCHEMA and DROP DATABASE delete every object inside with its data (with CASCADE "
        "for a non-empty schema), and ALTER SCHEMA ... RENAME makes every object in it "
        "unreachable under its old name: catastrophic and irreversible for every client.",
        "Not in a routine migration: do it by hand, or in a contract-phase migration with an "
        "explicit `-- migrate:allow drop-schema-database reason \"...\"` after checking that "
        "nothing uses the schema. Instead of renaming a schema, move single tables with view "
        "shims.",
        "DROP SCHEMA reporting CASCADE;",
        "-- migrate:phase contract\n-- migrate:allow drop-schema-database reason \"reporting "
        "moved to the warehouse in V0200, unused since\"\nDROP SCHEMA reporting;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const auto& node = facts.info.node;
    const std::string& type = facts.info.node_type;
    if (type == "DropStmt" && pgtree::text(node, "removeType") == "OBJECT_SCHEMA") {
      std::string schemas;
      for (const auto& o : pgtree::child(node, "objects"))
        schemas += (schemas.empty() ? "" : ", ") + pgtree::text(pgtree::child(o, "String"), "sval");
      const bool cascade = pgtree::text(node, "behavior") == "DROP_CASCADE";
      sink.report(info(), "DROP SCHEMA " + schemas +
                              (cascade ? " CASCADE deletes every table, view, function and type "
                                         "in it, with their data"
                                       : " deletes the schema; clients using it fail"));
    } else if (type == "DropdbStmt") {
      sink.report(info(), "DROP DATABASE " + pgtree::text(node, "dbname") +
                              " deletes the whole database with all its data");
    } else if (type == "RenameStmt" && pgtree::text(node, "renameType") == "OBJECT_SCHEMA") {
      sink.report(info(), "renaming schema " + pgtree::text(node, "subname") + " to " +
                              pgtree::text(node, "newname") +
                              " breaks every client and function that names an object through "
                              "the old schema name");
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_drop_schema_database() {
  return std::make_unique<DropSchemaDatabase>();
}

}  // namespace migrate
