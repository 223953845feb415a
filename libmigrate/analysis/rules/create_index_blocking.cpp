// create-index-blocking (catalog PG-IDX-01): CREATE INDEX without CONCURRENTLY holds SHARE on
// the table for the whole build, so every write waits.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class CreateIndexBlocking final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "create-index-blocking",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kShare,
        "CREATE INDEX without CONCURRENTLY holds a SHARE lock on the table for the whole build: "
        "every INSERT, "
        "UPDATE and DELETE waits, and the lock request itself queues every later writer.",
        "CREATE INDEX CONCURRENTLY (libmigrate runs it on its own, outside a transaction, and "
        "checks that the "
        "index is valid afterwards).",
        "CREATE INDEX idx_orders_customer ON orders (customer_id);",
        "CREATE INDEX CONCURRENTLY idx_orders_customer ON orders (customer_id);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (facts.info.node_type != "IndexStmt" || pgtree::flag(facts.info.node, "concurrent")) return;
    const std::string table = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
    sink.report(info(), "CREATE INDEX on " + table + " blocks writes to it for the whole build",
                "build it with CREATE INDEX CONCURRENTLY " +
                    (pgtree::text(facts.info.node, "idxname").empty()
                         ? std::string("...")
                         : pgtree::text(facts.info.node, "idxname")) +
                    " ON " + table + " (...)");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_create_index_blocking() {
  return std::make_unique<CreateIndexBlocking>();
}

}  // namespace migrate
