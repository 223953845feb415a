// check-validating (catalog PG-CON-02): a CHECK constraint added to an existing table without
// NOT VALID scans every row under ACCESS EXCLUSIVE, so reads and writes wait for the scan.
#include <fmt/format.h>

#include <limits>
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/analysis/rules/constraint_rules.hpp"

namespace migrate {

namespace {

using Json = nlohmann::json;
using namespace pgtree;
using namespace constraint_sql;

constexpr std::size_t kStatementEnd = std::numeric_limits<std::size_t>::max();

std::size_t location_of(const Json& node) {
  const Json& l = child(node, "location");
  return l.is_number_integer() && l.get<long long>() >= 0
             ? static_cast<std::size_t>(l.get<long long>())
             : kStatementEnd;
}

std::string constraint_name(const Json& con, const std::string& relname) {
  return text(con, "conname").empty() ? check_default_name(relname, child(con, "raw_expr"))
                                      : text(con, "conname");
}

// "CONSTRAINT <name> CHECK (...)" as written (named as PostgreSQL would name it when unnamed),
// or with "(...)" when the clause's end is not known from the tree.
std::string as_table_constraint(const Json& con, const std::string& name, const std::string& sql,
                                std::size_t end) {
  const std::string written = written_text(sql, con, end);
  if (written.empty()) return "CONSTRAINT " + ident(name) + " CHECK (...)";
  return text(con, "conname").empty() ? "CONSTRAINT " + ident(name) + " " + written : written;
}

class CheckValidating final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "check-validating",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kAccessExclusive,
        "ADD CONSTRAINT ... CHECK without NOT VALID scans the whole table to prove every row "
        "satisfies it, holding ACCESS EXCLUSIVE all the while: every read and write of the table "
        "waits for the scan. A CHECK on ADD COLUMN is checked the same way and cannot be NOT "
        "VALID.",
        "Add the constraint with NOT VALID (a brief ACCESS EXCLUSIVE; new and updated rows are "
        "checked from then on), then run ALTER TABLE ... VALIDATE CONSTRAINT in a later migration, "
        "or at least a separate transaction: it scans under SHARE UPDATE EXCLUSIVE, which lets "
        "reads and writes run.",
        "ALTER TABLE messages ADD CONSTRAINT check_sentiment\n"
        "  CHECK (sentiment IN ('positive', 'negative', 'neutral'));",
        "ALTER TABLE messages ADD CONSTRAINT check_sentiment\n"
        "  CHECK (sentiment IN ('positive', 'negative', 'neutral')) NOT VALID;\n"
        "-- in a later migration:\n"
        "ALTER TABLE messages VALIDATE CONSTRAINT check_sentiment;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (facts.info.node_type != "AlterTableStmt") return;
    const Json& relation = child(facts.info.node, "relation");
    const std::string table = relation_name(relation);
    const std::string relname = text(relation, "relname");
    const std::string qtable = qualified(relation);
    const std::string& sql = facts.statement.sql;
    const auto commands = alter_table_commands(facts.info.node);
    for (std::size_t i = 0; i < commands.size(); ++i) {
      const Json& cmd = *commands[i];
      const bool last_command = i + 1 == commands.size();
      const std::string subtype = text(cmd, "subtype");
      if (subtype == "AT_AddConstraint") {
        const Json& con = child(child(cmd, "def"), "Constraint");
        if (text(con, "contype") != "CONSTR_CHECK" || flag(con, "skip_validation")) continue;
        const std::string name = constraint_name(con, relname);
        const std::string written =
            as_table_constraint(con, name, sql, last_command ? kStatementEnd : 0);
        sink.report(info(),
                    fmt::format("{} on {} scans every row while holding ACCESS EXCLUSIVE on {}: "
                                "reads and writes wait for the whole scan",
                                text(con, "conname").empty()
                                    ? "ADD CHECK (PostgreSQL names it " + name + ")"
                                    : "ADD CONSTRAINT " + name + " CHECK",
                                table, table),
                    fmt::format("ALTER TABLE {} ADD {} NOT VALID; then, in a later migration (or "
                                "at least a separate transaction): ALTER TABLE {} VALIDATE "
                                "CONSTRAINT {};",
                                qtable, written, qtable, ident(name)));
      } else if (subtype == "AT_AddColumn") {
        const Json& col = child(child(cmd, "def"), "ColumnDef");
        const std::string column = text(col, "colname");
        auto constraints = constraints_in(child(col, "constraints"));
        for (std::size_t k = 0; k < constraints.size(); ++k) {
          const Json& con = *constraints[k];
          if (text(con, "contype") != "CONSTR_CHECK") continue;
          const std::string name = constraint_name(con, relname);
          // The clause as written runs to the next constraint of the column, or to the end.
          const std::size_t end = k + 1 < constraints.size() ? location_of(*constraints[k + 1])
                                  : last_command             ? kStatementEnd
                                                             : 0;
          const std::string written = as_table_constraint(con, name, sql, end);
          sink.report(info(),
                      fmt::format("ADD COLUMN {} ... CHECK on {} checks every row while holding "
                                  "ACCESS EXCLUSIVE on {}: reads and writes wait for the whole "
                                  "scan",
                                  column, table, table),
                      fmt::format("ALTER TABLE {} ADD COLUMN {} ... (without the CHECK); ALTER "
                                  "TABLE {} ADD {} NOT VALID; then, in a later migration (or at "
                                  "least a separate transaction): ALTER TABLE {} VALIDATE "
                                  "CONSTRAINT {};",
                                  qtable, ident(column), qtable, written, qtable, ident(name)));
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_check_validating() {
  return std::make_unique<CheckValidating>();
}

}  // namespace migrate
