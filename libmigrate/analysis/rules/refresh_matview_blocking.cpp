// refresh-matview-blocking (catalog PG-TBL-07): REFRESH MATERIALIZED VIEW without CONCURRENTLY
// holds ACCESS EXCLUSIVE on the view for the whole refresh, so every reader waits.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class RefreshMatviewBlocking final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "refresh-matview-blocking",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kBackwardCompatible,
        LockLevel::kAccessExclusive,
        "REFRESH MATERIALIZED VIEW re-runs the view's query while holding ACCESS EXCLUSIVE on "
        "it: every SELECT from the view waits until the refresh commits.",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY (EXCLUSIVE lock: plain SELECTs keep running). It "
        "needs a unique index on the view covering all rows (create it first, CONCURRENTLY) and "
        "a view that is already populated.",
        "REFRESH MATERIALIZED VIEW daily_sales;",
        "CREATE UNIQUE INDEX CONCURRENTLY daily_sales_day ON daily_sales (day);\nREFRESH "
        "MATERIALIZED VIEW CONCURRENTLY daily_sales;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (facts.info.node_type != "RefreshMatViewStmt" || pgtree::flag(facts.info.node, "concurrent"))
      return;
    const std::string view = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
    const bool no_data = pgtree::flag(facts.info.node, "skipData");
    sink.report(info(),
                no_data ? "REFRESH MATERIALIZED VIEW " + view +
                              " WITH NO DATA takes ACCESS EXCLUSIVE and leaves the view "
                              "unreadable: every later SELECT from it fails until it is refreshed"
                        : "REFRESH MATERIALIZED VIEW " + view +
                              " holds ACCESS EXCLUSIVE for the whole refresh: every SELECT from "
                              "it waits",
                no_data ? "drop the view in a contract-phase migration once no deployed version "
                          "reads it, rather than leaving it unpopulated"
                        : "REFRESH MATERIALIZED VIEW CONCURRENTLY " + view +
                              "; (needs a unique index on " + view +
                              " covering all rows: CREATE UNIQUE INDEX CONCURRENTLY ... ON " +
                              view + " (...) first)");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_refresh_matview_blocking() {
  return std::make_unique<RefreshMatviewBlocking>();
}

}  // namespace migrate
