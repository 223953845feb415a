// exclusion-constraint (catalog PG-CON-06): ADD CONSTRAINT ... EXCLUDE builds its index and checks
// every row under ACCESS EXCLUSIVE, and has no NOT VALID or USING INDEX form to avoid that.
#include <fmt/format.h>

#include <string>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;
using namespace pgtree;

class ExclusionConstraint final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "exclusion-constraint",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "ADD CONSTRAINT ... EXCLUDE builds its index and checks every existing row while holding "
        "ACCESS EXCLUSIVE: every read and write of the table waits. Unlike CHECK, FOREIGN KEY and "
        "UNIQUE there is no online form: exclusion constraints accept neither NOT VALID nor "
        "USING INDEX.",
        "There is no online path on an existing table: create a new table with the constraint, "
        "backfill it in batches while a trigger keeps it in sync, and swap the tables in the "
        "contract phase. Or accept the outage in a maintenance window and say so with "
        "`-- migrate:allow exclusion-constraint reason \"...\"`.",
        "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap\n"
        "  EXCLUDE USING gist (room_id WITH =, during WITH &&);",
        "-- in the CREATE TABLE of a new table (backfilled, then swapped in):\n"
        "CREATE TABLE bookings_v2 (\n"
        "  room_id bigint NOT NULL,\n"
        "  during tstzrange NOT NULL,\n"
        "  EXCLUDE USING gist (room_id WITH =, during WITH &&)\n"
        ");"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (facts.info.node_type != "AlterTableStmt") return;
    const std::string table = relation_name(child(facts.info.node, "relation"));
    for (const Json* cmd : alter_table_commands(facts.info.node)) {
      if (text(*cmd, "subtype") != "AT_AddConstraint") continue;
      const Json& con = child(child(*cmd, "def"), "Constraint");
      if (text(con, "contype") != "CONSTR_EXCLUSION") continue;
      const std::string name = text(con, "conname");
      sink.report(info(), fmt::format("ADD CONSTRAINT {}EXCLUDE on {} builds its index and checks "
                                      "every row while holding ACCESS EXCLUSIVE on {}: reads and "
                                      "writes wait for the whole build; there is no NOT VALID "
                                      "form",
                                      name.empty() ? std::string() : name + " ", table, table));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_exclusion_constraint() {
  return std::make_unique<ExclusionConstraint>();
}

}  // namespace migrate
