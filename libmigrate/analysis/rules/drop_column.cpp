// drop-column (catalog PG-COL-06): DROP COLUMN loses the data and breaks running app versions
// (and ORM column caches) that still use the column: contract phase only.
#include <fmt/format.h>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

class DropColumn final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "drop-column",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "DROP COLUMN is quick (ACCESS EXCLUSIVE briefly, no rewrite), but the data is gone and "
        "every running app version that still reads or writes the column, including ORMs that "
        "cache the column list and SELECT it by name, fails from its commit.",
        "Contract phase only: first deploy code that no longer uses the column (tell the ORM to "
        "ignore it), then drop it in a later contract migration.",
        "ALTER TABLE users DROP COLUMN legacy_flags;",
        "-- release N: the app stops reading and writing legacy_flags (ORM ignores it)\n"
        "-- release N+1, contract migration:\n"
        "ALTER TABLE users DROP COLUMN legacy_flags;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (!column_rules::is_alter_table(facts.info)) return;
    const std::string table = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
    for (const nlohmann::json* cmd : pgtree::alter_table_commands(facts.info.node)) {
      if (pgtree::text(*cmd, "subtype") != "AT_DropColumn") continue;
      const std::string column = pgtree::text(*cmd, "name");
      std::string message = fmt::format(
          "DROP COLUMN {}.{} deletes its data and breaks every running app version that still "
          "uses {}: contract phase only, after the app stopped using it",
          table, column, column);
      if (pgtree::text(*cmd, "behavior") == "DROP_CASCADE")
        message += "; CASCADE also drops the views, indexes and constraints that depend on it";
      sink.report(info(), std::move(message));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_drop_column() {
  return std::make_unique<DropColumn>();
}

}  // namespace migrate
