// validate-in-same-txn (catalog PG-CON-03): VALIDATE CONSTRAINT in the transaction that added
// the constraint NOT VALID keeps the ADD's strong lock through the validating scan.
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/analysis/rules/constraint_rules.hpp"

namespace migrate {

namespace {

using Json = nlohmann::json;
using namespace pgtree;
using namespace constraint_sql;

// The constraint `cmd` adds NOT VALID, with the name PostgreSQL gives it; empty otherwise.
std::string added_not_valid(const Json& cmd, const std::string& relname) {
  if (text(cmd, "subtype") != "AT_AddConstraint") return {};
  const Json& con = child(child(cmd, "def"), "Constraint");
  if (!flag(con, "skip_validation")) return {};
  if (!text(con, "conname").empty()) return text(con, "conname");
  const std::string type = text(con, "contype");
  if (type == "CONSTR_FOREIGN") return default_name(relname, names(child(con, "fk_attrs")), "fkey");
  if (type == "CONSTR_CHECK") return check_default_name(relname, child(con, "raw_expr"));
  return {};
}

// What the ADD still holds while VALIDATE scans, and who waits.
std::string held_lock(const Json& add_cmd, const std::string& table) {
  const Json& con = child(child(add_cmd, "def"), "Constraint");
  if (text(con, "contype") == "CONSTR_FOREIGN") {
    const std::string parent = relation_name(child(con, "pktable"));
    return "the SHARE ROW EXCLUSIVE lock the ADD took on " + table + " and " + parent +
           " is still held through the whole validating scan: writes to both wait for it";
  }
  return "the ACCESS EXCLUSIVE lock the ADD took on " + table +
         " is still held through the whole validating scan: reads and writes wait for it";
}

class ValidateInSameTxn final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "validate-in-same-txn", Dialect::kPostgres, Severity::kWarning,
        MigrationClass::kBackwardCompatible,
        // VALIDATE itself takes SHARE UPDATE EXCLUSIVE; the harm is the ADD's lock, still held.
        LockLevel::kShareUpdateExclusive,
        "ADD CONSTRAINT ... NOT VALID takes a strong lock (ACCESS EXCLUSIVE for a CHECK, SHARE "
        "ROW EXCLUSIVE on both tables for a foreign key) that is held until the transaction "
        "ends. VALIDATE CONSTRAINT in the same transaction scans the whole table while that lock "
        "is still held, which is exactly what NOT VALID was meant to avoid.",
        "Commit between them: VALIDATE CONSTRAINT in a later migration, or at least in a "
        "separate transaction (libmigrate runs a `-- migrate:transaction off` file statement by "
        "statement).",
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
        "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;\n"
        "-- in a later migration:\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (facts.info.node_type != "AlterTableStmt") return;
    const Json& relation = child(facts.info.node, "relation");
    const std::string table = relation_name(relation);
    // Nobody else sees a table created in this migration: holding its lock costs nothing.
    if (ctx.created_in_this_migration(table)) return;
    const std::string key = table_key(table);
    const std::string relname = text(relation, "relname");

    // ADD ... NOT VALID commands earlier in this transaction, on this table.
    std::vector<const Json*> added;
    for (const PgStatementInfo* earlier : ctx.earlier_in_transaction()) {
      if (earlier->node_type != "AlterTableStmt") continue;
      if (table_key(relation_name(child(earlier->node, "relation"))) != key) continue;
      for (const Json* cmd : alter_table_commands(earlier->node)) added.push_back(cmd);
    }
    for (const Json* cmd : alter_table_commands(facts.info.node)) {
      if (text(*cmd, "subtype") != "AT_ValidateConstraint") {
        added.push_back(cmd);  // the same statement's ADD also holds its lock
        continue;
      }
      const std::string name = text(*cmd, "name");
      for (const Json* add : added) {
        if (added_not_valid(*add, relname) != name) continue;
        sink.report(
            info(),
            "VALIDATE CONSTRAINT " + name + " on " + table +
                " runs in the transaction that added it NOT VALID: " + held_lock(*add, table),
            "commit first: move ALTER TABLE " + qualified(relation) + " VALIDATE CONSTRAINT " +
                ident(name) + "; to a later migration (or at least a separate transaction)");
        break;
      }
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_validate_in_same_txn() {
  return std::make_unique<ValidateInSameTxn>();
}

}  // namespace migrate
