// cic-pg14-corruption (catalog PG-IDX-06): CREATE/REINDEX ... CONCURRENTLY on PostgreSQL 14.0 to
// 14.3 can silently build an index that misses rows changed during the build (fixed in 14.4).
#include <fmt/format.h>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class CicPg14Corruption final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "cic-pg14-corruption",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "On PostgreSQL 14.0 to 14.3, CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY can "
        "build an index that silently misses rows updated while it was built (HOT chains), so "
        "queries using it return wrong results and a unique index may not be enforced. Fixed in "
        "14.4.",
        "Upgrade the server to 14.4 or later before building indexes concurrently; then check "
        "indexes built concurrently on 14.0-14.3 (amcheck: bt_index_check(index, true)) and "
        "REINDEX CONCURRENTLY the broken ones.",
        "-- on PostgreSQL 14.3\nCREATE INDEX CONCURRENTLY idx_orders_customer ON orders "
        "(customer_id);",
        "-- after upgrading to 14.4 or later\nCREATE INDEX CONCURRENTLY idx_orders_customer ON "
        "orders (customer_id);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const int v = ctx.server_version();
    if (v < 140000 || v > 140003) return;
    const auto& node = facts.info.node;
    std::string what;
    if (facts.info.node_type == "IndexStmt" && pgtree::flag(node, "concurrent")) {
      what =
          "CREATE INDEX CONCURRENTLY on " + pgtree::relation_name(pgtree::child(node, "relation"));
    } else if (facts.info.node_type == "ReindexStmt" &&
               facts.info.non_transactional_reason == "REINDEX CONCURRENTLY") {
      std::string target = pgtree::relation_name(pgtree::child(node, "relation"));
      if (target.empty()) target = pgtree::text(node, "name");
      what = "REINDEX CONCURRENTLY of " + target;
    } else {
      return;
    }
    sink.report(info(),
                fmt::format("{} on PostgreSQL 14.{} can silently build a corrupt index (rows "
                            "updated during the build are missing from it); fixed in 14.4",
                            what, v % 100));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_cic_pg14_corruption() {
  return std::make_unique<CicPg14Corruption>();
}

}  // namespace migrate
