// reindex-blocking (catalog PG-IDX-05): REINDEX without CONCURRENTLY holds SHARE on the table
// (writes wait) and ACCESS EXCLUSIVE on each index it rebuilds (queries planned on it wait).
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class ReindexBlocking final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "reindex-blocking",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kShare,
        "REINDEX without CONCURRENTLY holds a SHARE lock on the table for the whole rebuild, so "
        "every INSERT, UPDATE and DELETE waits, and an ACCESS EXCLUSIVE lock on each index it "
        "rebuilds, so queries whose planning touches that index wait as well. REINDEX SCHEMA and "
        "DATABASE do this to every table in turn.",
        "REINDEX ... CONCURRENTLY (PostgreSQL 12+; libmigrate runs it on its own, outside a "
        "transaction). Before 12: CREATE INDEX CONCURRENTLY a copy, DROP INDEX CONCURRENTLY the "
        "old one, then ALTER INDEX ... RENAME the copy.",
        "REINDEX INDEX idx_orders_customer;",
        "REINDEX INDEX CONCURRENTLY idx_orders_customer;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (facts.info.node_type != "ReindexStmt") return;
    // The parser's own reading of the CONCURRENTLY option (also written "(CONCURRENTLY true)").
    if (facts.info.non_transactional_reason == "REINDEX CONCURRENTLY") return;
    const auto& node = facts.info.node;
    const std::string kind = pgtree::text(node, "kind");
    std::string keyword, target, effect;
    if (kind == "REINDEX_OBJECT_INDEX") {
      keyword = "INDEX";
      target = pgtree::relation_name(pgtree::child(node, "relation"));
      effect = "holds SHARE on the index's table (writes wait) and ACCESS EXCLUSIVE on " + target +
               " (queries planned on it wait) for the whole rebuild";
    } else if (kind == "REINDEX_OBJECT_TABLE") {
      keyword = "TABLE";
      target = pgtree::relation_name(pgtree::child(node, "relation"));
      effect = "holds SHARE on " + target +
               " (writes wait) and ACCESS EXCLUSIVE on each of its indexes while it rebuilds them";
    } else if (kind == "REINDEX_OBJECT_SCHEMA" || kind == "REINDEX_OBJECT_DATABASE") {
      keyword = kind == "REINDEX_OBJECT_SCHEMA" ? "SCHEMA" : "DATABASE";
      target = pgtree::text(node, "name");
      effect = "locks every table of " + target +
               " in turn, SHARE on the table and ACCESS EXCLUSIVE on the index being rebuilt";
    } else {
      return;  // REINDEX SYSTEM: system catalogs cannot be reindexed concurrently
    }
    const std::string written = "REINDEX " + keyword + (target.empty() ? "" : " " + target);
    std::string alternative;
    if (ctx.server_version() >= 120000) {
      alternative = "REINDEX " + keyword + " CONCURRENTLY" + (target.empty() ? "" : " " + target) +
                    "; as its own step, outside a transaction";
    } else if (keyword == "INDEX") {
      alternative = "PostgreSQL before 12 has no REINDEX CONCURRENTLY: CREATE INDEX CONCURRENTLY " +
                    target + "_new with the same definition, DROP INDEX CONCURRENTLY " + target +
                    ", then ALTER INDEX " + target + "_new RENAME TO " + target;
    } else {
      alternative =
          "PostgreSQL before 12 has no REINDEX CONCURRENTLY: rebuild each index with CREATE INDEX "
          "CONCURRENTLY, DROP INDEX CONCURRENTLY the old one and rename the new one";
    }
    sink.report(info(), written + " " + effect, std::move(alternative));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_reindex_blocking() {
  return std::make_unique<ReindexBlocking>();
}

}  // namespace migrate
