// drop-not-null (catalog PG-CON-08): ALTER COLUMN ... DROP NOT NULL lets NULLs into a column that
// running application code reads as never NULL; it belongs in the contract phase.
#include <fmt/format.h>

#include <string>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;
using namespace pgtree;

class DropNotNull final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "drop-not-null",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "ALTER COLUMN ... DROP NOT NULL takes ACCESS EXCLUSIVE only briefly, but from then on "
        "the column may hold NULLs: application versions still running that read it as never "
        "NULL (and code generated from the old schema) break on the first NULL written.",
        "Drop NOT NULL in the contract phase, once every running application version handles "
        "NULL in that column; or keep the constraint and write a sentinel value instead of NULL.",
        "ALTER TABLE users ALTER COLUMN phone DROP NOT NULL;",
        "-- migrate:phase contract\n"
        "-- migrate:allow drop-not-null reason \"every app version handles a NULL phone\"\n"
        "ALTER TABLE users ALTER COLUMN phone DROP NOT NULL;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (facts.info.node_type != "AlterTableStmt") return;
    const std::string table = relation_name(child(facts.info.node, "relation"));
    for (const Json* cmd : alter_table_commands(facts.info.node)) {
      if (text(*cmd, "subtype") != "AT_DropNotNull") continue;
      const std::string column = text(*cmd, "name");
      sink.report(info(),
                  fmt::format("DROP NOT NULL on {}.{} lets NULLs into {}: application versions "
                              "that read it as never NULL break",
                              table, column, column),
                  fmt::format("drop it in the contract phase, after every running application "
                              "version handles NULL in {}.{} (or keep NOT NULL and write a "
                              "sentinel value)",
                              table, column));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_drop_not_null() {
  return std::make_unique<DropNotNull>();
}

}  // namespace migrate
