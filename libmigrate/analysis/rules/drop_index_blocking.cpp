// drop-index-blocking (catalog PG-IDX-02): DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE
// on the index's table, so reads and writes wait for it (and queue behind its lock request).
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class DropIndexBlocking final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "drop-index-blocking",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kAccessExclusive,
        "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table: "
        "every query on the table, plain SELECTs included, waits while the statement waits for "
        "the lock and while it drops the index.",
        "DROP INDEX CONCURRENTLY IF EXISTS, one index per statement and without CASCADE "
        "(libmigrate runs it on its own, outside a transaction).",
        "DROP INDEX idx_orders_customer;",
        "DROP INDEX CONCURRENTLY IF EXISTS idx_orders_customer;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const auto& node = facts.info.node;
    if (facts.info.node_type != "DropStmt" || pgtree::text(node, "removeType") != "OBJECT_INDEX" ||
        pgtree::flag(node, "concurrent")) {
      return;
    }
    std::vector<std::string> indexes;
    const auto& objects = pgtree::child(node, "objects");
    if (objects.is_array()) {
      for (const auto& object : objects) {
        std::string name =
            pgtree::dotted_name(pgtree::child(pgtree::child(object, "List"), "items"));
        if (!name.empty()) indexes.push_back(name);
      }
    }
    if (indexes.empty()) return;
    const bool cascade = pgtree::text(node, "behavior") == "DROP_CASCADE";
    std::string names, steps;
    for (const auto& index : indexes) {
      names += (names.empty() ? "" : ", ") + index;
      steps += (steps.empty() ? "" : " ") + ("DROP INDEX CONCURRENTLY IF EXISTS " + index + ";");
    }
    std::string message =
        "DROP INDEX " + names +
        " takes ACCESS EXCLUSIVE on the indexed table: reads and writes wait until it commits";
    std::string alternative =
        (indexes.size() > 1 ? "one statement per index: " : "") + steps +
        (cascade ? " CONCURRENTLY refuses CASCADE: drop what depends on the index first" : "");
    sink.report(info(), std::move(message), std::move(alternative));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_drop_index_blocking() {
  return std::make_unique<DropIndexBlocking>();
}

}  // namespace migrate
