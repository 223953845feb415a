// unnamed-concurrent-index: CREATE INDEX CONCURRENTLY without a name. It runs outside a
// transaction, so a run that dies while it builds leaves its outcome to be read back from the
// catalog; with a name that is one lookup, without one the retry must recognise the index by its
// definition, and a manual rerun builds a second index (t_b_idx1).
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class UnnamedConcurrentIndex final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "unnamed-concurrent-index",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kAdditive,
        LockLevel::kShareUpdateExclusive,
        "CREATE INDEX CONCURRENTLY commits on its own, outside the migration's transaction. If "
        "the run dies while the index builds, the build may still finish on the server. A named "
        "index is found by its name before the retry (kept when valid, rebuilt when INVALID); an "
        "unnamed one only by comparing definitions, which fails when PostgreSQL words the "
        "definition differently (then the run stops with OUTCOME_UNKNOWN), and a rerun by hand "
        "builds a duplicate (orders_created_at_idx1).",
        "Name the index: CREATE INDEX CONCURRENTLY IF NOT EXISTS <table>_<columns>_idx ON "
        "<table> (...).",
        "CREATE INDEX CONCURRENTLY ON orders (created_at);",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_at_idx ON orders (created_at);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const auto& a = facts.info.concurrent_index;
    if (!a || a->kind != ConcurrentIndexAction::Kind::kCreate || !a->index_name.empty()) return;
    const std::string table = a->table_schema.empty() ? a->table : a->table_schema + "." + a->table;
    sink.report(info(),
                "CREATE INDEX CONCURRENTLY on " + table +
                    " has no name: after an interrupted run the retry can find the index only by "
                    "its definition, and a rerun by hand builds a duplicate",
                "name it: CREATE INDEX CONCURRENTLY IF NOT EXISTS " + a->table +
                    "_<columns>_idx ON " + table + " (...)");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_unnamed_concurrent_index() {
  return std::make_unique<UnnamedConcurrentIndex>();
}

}  // namespace migrate
