// truncate (catalog PG-TBL-03): TRUNCATE deletes every row under ACCESS EXCLUSIVE; with CASCADE
// it also empties every table that references it through a foreign key.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class Truncate final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "truncate",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "TRUNCATE deletes every row of the table, which cannot be undone without a backup, and "
        "holds ACCESS EXCLUSIVE on every truncated table until commit. CASCADE silently extends "
        "it to every table with a foreign key to them, and to theirs.",
        "Delete in batches, one short transaction each (DELETE FROM t WHERE id IN (SELECT id FROM "
        "t ORDER BY id LIMIT 1000), repeated until no row is left), outside the schema "
        "migration; never CASCADE.",
        "TRUNCATE sessions CASCADE;",
        "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions ORDER BY id LIMIT 1000);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (facts.info.node_type != "TruncateStmt") return;
    std::string tables;
    for (const auto& r : facts.info.relations) {
      if (ctx.created_in_this_migration(r)) continue;
      tables += (tables.empty() ? "" : ", ") + r;
    }
    const bool cascade = pgtree::text(facts.info.node, "behavior") == "DROP_CASCADE";
    if (tables.empty() && !cascade) return;
    if (tables.empty()) tables = "tables created in this migration";
    sink.report(
        info(),
        "TRUNCATE deletes every row of " + tables +
            (cascade ? ", and CASCADE also empties every table with a foreign key to "
                       "them (and the tables referencing those), blocking all of them"
                     : ", blocking all access to it until commit"),
        "delete the rows in batches outside the schema migration (DELETE ... WHERE id IN "
        "(SELECT id ... ORDER BY id LIMIT 1000), one short transaction each)" +
            std::string(cascade ? "; never CASCADE: name every table you mean to empty" : ""));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_truncate() {
  return std::make_unique<Truncate>();
}

}  // namespace migrate
