// default-change (catalog PG-COL-09): SET DEFAULT applies only to INSERTs that leave the column
// out; app versions that write every column keep writing their own value, so deploy order matters.
#include <fmt/format.h>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

class DefaultChange final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "default-change",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kAccessExclusive,
        "ALTER COLUMN ... SET DEFAULT is metadata only (ACCESS EXCLUSIVE briefly) and does not "
        "touch existing rows, but it only applies to INSERTs that leave the column out: app "
        "versions (or ORMs) that write every column keep inserting the value they were built "
        "with, so the new default takes effect only once every running version omits it.",
        "Deploy order: run the migration, then the app change that relies on the default; make "
        "sure the app omits the column on INSERT (ORM partial inserts) or sets it explicitly; "
        "backfill existing rows separately if they need the new value.",
        "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'pending';",
        "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'pending';\n"
        "-- then deploy the app version that omits status on INSERT"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (!column_rules::is_alter_table(facts.info)) return;
    const std::string table = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
    for (const nlohmann::json* cmd : pgtree::alter_table_commands(facts.info.node)) {
      if (pgtree::text(*cmd, "subtype") != "AT_ColumnDefault") continue;
      const nlohmann::json& expr = pgtree::child(*cmd, "def");
      if (expr.is_null()) continue;  // DROP DEFAULT
      const std::string column = pgtree::text(*cmd, "name");
      std::string value = column_rules::expr_sql(expr);
      sink.report(info(),
                  fmt::format("SET DEFAULT{} on {}.{} applies only to INSERTs that leave {} out "
                              "and not to existing rows: running app versions that write every "
                              "column keep their own value",
                              value.empty() ? "" : " " + value, table, column, column));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_default_change() {
  return std::make_unique<DefaultChange>();
}

}  // namespace migrate
