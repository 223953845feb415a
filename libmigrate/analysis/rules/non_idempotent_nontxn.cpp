// non-idempotent-nontxn (catalog PG-TX-06): a statement that runs on its own, outside a
// transaction, without IF [NOT] EXISTS fails when it is run again after a partial failure.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class NonIdempotentNontxn final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "non-idempotent-nontxn",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "CREATE INDEX CONCURRENTLY and DROP INDEX CONCURRENTLY cannot run in a transaction, so "
        "a migration that fails after one of them leaves it applied. libmigrate records its "
        "progress per statement and resumes after it, but a manual rerun of the file (or of the "
        "statement) fails with \"already exists\" / \"does not exist\".",
        "Write the idempotent form the grammar allows: CREATE INDEX CONCURRENTLY IF NOT EXISTS "
        "<name> (the index must be named) and DROP INDEX CONCURRENTLY IF EXISTS.",
        "CREATE INDEX CONCURRENTLY idx_orders_customer ON orders (customer_id);",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_customer ON orders (customer_id);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (facts.info.can_run_in_transaction || !facts.info.concurrent_index) return;
    const ConcurrentIndexAction& a = *facts.info.concurrent_index;
    const std::string index =
        a.index_name.empty() ? std::string()
                             : (a.schema.empty() ? a.index_name : a.schema + "." + a.index_name);
    if (a.kind == ConcurrentIndexAction::Kind::kCreate && !a.if_not_exists) {
      const std::string table = a.table_schema.empty() ? a.table : a.table_schema + "." + a.table;
      if (index.empty()) {
        return;  // unnamed-concurrent-index reports it
      } else {
        sink.report(
            info(),
            "CREATE INDEX CONCURRENTLY " + a.index_name +
                " without IF NOT EXISTS fails when run again by hand after it succeeded",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + a.index_name + " ON " + table + " (...)");
      }
    } else if (a.kind == ConcurrentIndexAction::Kind::kDrop && !a.if_exists) {
      sink.report(info(),
                  "DROP INDEX CONCURRENTLY " + index +
                      " without IF EXISTS fails when run again by hand after it succeeded",
                  "DROP INDEX CONCURRENTLY IF EXISTS " + index + ";");
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_non_idempotent_nontxn() {
  return std::make_unique<NonIdempotentNontxn>();
}

}  // namespace migrate
