// drop-table (catalog PG-TBL-01): DROP TABLE deletes the table and every row in it, and breaks
// every client that still reads or writes it.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class DropTable final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "drop-table",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "DROP TABLE deletes the table with all its rows, which cannot be undone without a "
        "backup, and every deployed client that still uses the table fails. It also waits for "
        "ACCESS EXCLUSIVE, queueing every query on the table behind it.",
        "Drop tables only in a contract-phase migration, after no deployed version reads or "
        "writes them. Soft-delete first: rename the table (ALTER TABLE t RENAME TO "
        "t_deprecated) in one release and drop it in a later one, once nothing broke.",
        "DROP TABLE legacy_orders;",
        "-- migrate:phase contract\n-- migrate:allow drop-table reason \"unused since v42, "
        "renamed in V0107\"\nDROP TABLE legacy_orders_deprecated;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (facts.info.node_type != "DropStmt" ||
        pgtree::text(facts.info.node, "removeType") != "OBJECT_TABLE")
      return;
    std::string tables;
    int count = 0;
    for (const auto& r : facts.info.relations) {
      if (ctx.created_in_this_migration(r)) continue;  // dropping its own scratch table is fine
      tables += (tables.empty() ? "" : ", ") + r;
      ++count;
    }
    if (tables.empty()) return;
    const bool cascade = pgtree::text(facts.info.node, "behavior") == "DROP_CASCADE";
    const bool one = count == 1;
    sink.report(
        info(),
        "DROP TABLE " + tables +
            (one ? " deletes the table and its rows" : " deletes the tables and their rows") +
            (cascade ? " (CASCADE also drops the views and foreign keys that depend on " +
                           std::string(one ? "it)" : "them)")
                     : std::string()) +
            "; clients that still use " + (one ? "it" : "them") + " fail",
        "make sure no deployed version uses " + tables + ", rename " + (one ? "it" : "each") +
            " first (ALTER TABLE ... RENAME TO ..._deprecated) and drop " + (one ? "it" : "them") +
            " in a later contract-phase migration, with `-- migrate:allow drop-table "
            "reason \"...\"`");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_drop_table() {
  return std::make_unique<DropTable>();
}

}  // namespace migrate
