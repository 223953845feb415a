// wide-nonunique-index (catalog PG-IDX-07): a non-unique index with more than three key columns
// rarely speeds up more queries than its first columns would, and every write pays for it.
#include <fmt/format.h>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

constexpr std::size_t kMaxKeyColumns = 3;

class WideNonuniqueIndex final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "wide-nonunique-index",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "A non-unique index with more than three key columns rarely helps more queries than its "
        "leading columns alone would, yet it is larger and every INSERT and UPDATE of those "
        "columns maintains it.",
        "Index the two or three columns that narrow the rows down the most, in that order; add "
        "more only when a measured query needs them.",
        "CREATE INDEX CONCURRENTLY idx_orders_search ON orders (customer_id, status, region, "
        "created_at);",
        "CREATE INDEX CONCURRENTLY idx_orders_customer_status ON orders (customer_id, status);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const auto& node = facts.info.node;
    if (facts.info.node_type != "IndexStmt" || pgtree::flag(node, "unique")) return;
    const auto& params = pgtree::child(node, "indexParams");  // key columns; INCLUDE is apart
    if (!params.is_array() || params.size() <= kMaxKeyColumns) return;
    std::string columns;
    for (const auto& p : params) {
      std::string name = pgtree::text(pgtree::child(p, "IndexElem"), "name");
      columns +=
          (columns.empty() ? "" : ", ") + (name.empty() ? std::string("(expression)") : name);
    }
    const std::string index = pgtree::text(node, "idxname");
    sink.report(info(),
                fmt::format("non-unique index {}on {} has {} key columns ({}): more than {} "
                            "rarely pays for the extra write cost",
                            index.empty() ? "" : index + " ",
                            pgtree::relation_name(pgtree::child(node, "relation")), params.size(),
                            columns, kMaxKeyColumns));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_wide_nonunique_index() {
  return std::make_unique<WideNonuniqueIndex>();
}

}  // namespace migrate
