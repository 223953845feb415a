// opaque-sql (catalog PG-TX-07): DO blocks, CALL and EXECUTE run code the analyzer cannot see
// into, so the locks they take and the rows they touch are unknown.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class OpaqueSql final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "opaque-sql", Dialect::kPostgres, Severity::kWarning, MigrationClass::kBackwardCompatible,
        // Unknowable: whatever the body does, up to ACCESS EXCLUSIVE on any table.
        LockLevel::kAccessExclusive,
        "A DO block, a CALL of a procedure or an EXECUTE of a prepared statement runs SQL that "
        "the analyzer cannot read from the migration: which tables it locks, how strongly, and "
        "how many rows it changes are unknown, so none of the other rules can check it.",
        "Write the statements out as plain SQL in the migration, so that each is analysed. If "
        "the logic must stay procedural, review the locks it takes by hand (or trace it on a "
        "copy of the database) and acknowledge with `-- migrate:allow opaque-sql reason "
        "\"...\"`.",
        "DO $$ BEGIN EXECUTE 'ALTER TABLE ' || 'orders' || ' ADD COLUMN note text'; END $$;",
        "ALTER TABLE orders ADD COLUMN note text;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const std::string& t = facts.info.node_type;
    const auto& node = facts.info.node;
    if (t == "DoStmt") {
      sink.report(info(),
                  "the DO block's body is not analysed: the locks it takes and the rows it "
                  "changes are unknown");
    } else if (t == "CallStmt") {
      sink.report(info(), "CALL " +
                              pgtree::dotted_name(
                                  pgtree::child(pgtree::child(node, "funccall"), "funcname")) +
                              " runs a procedure whose statements are not analysed: its locks "
                              "and row changes are unknown");
    } else if (t == "ExecuteStmt") {
      sink.report(info(), "EXECUTE " + pgtree::text(node, "name") +
                              " runs a prepared statement that is not analysed here: its locks "
                              "and row changes are unknown");
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_opaque_sql() {
  return std::make_unique<OpaqueSql>();
}

}  // namespace migrate
