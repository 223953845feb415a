// detach-partition-blocking (catalog PG-TBL-05): DETACH PARTITION without CONCURRENTLY takes
// ACCESS EXCLUSIVE on the partitioned table, blocking every query on every partition.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class DetachPartitionBlocking final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "detach-partition-blocking",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kAccessExclusive,
        "ALTER TABLE ... DETACH PARTITION takes ACCESS EXCLUSIVE on the partitioned table: "
        "while it waits for the lock and until commit, every query on every partition queues "
        "behind it.",
        "PostgreSQL 14+: ALTER TABLE parent DETACH PARTITION child CONCURRENTLY (SHARE UPDATE "
        "EXCLUSIVE; libmigrate runs it on its own, outside a transaction; not possible when the "
        "parent has a DEFAULT partition). If it is interrupted, finish it with DETACH PARTITION "
        "child FINALIZE.",
        "ALTER TABLE measurements DETACH PARTITION measurements_2019;",
        "ALTER TABLE measurements DETACH PARTITION measurements_2019 CONCURRENTLY;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (facts.info.node_type != "AlterTableStmt") return;
    const std::string parent = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
    for (const nlohmann::json* cmd : pgtree::alter_table_commands(facts.info.node)) {
      if (pgtree::text(*cmd, "subtype") != "AT_DetachPartition") continue;
      const nlohmann::json& part = pgtree::child(pgtree::child(*cmd, "def"), "PartitionCmd");
      if (pgtree::flag(part, "concurrent")) continue;
      const std::string child = pgtree::relation_name(pgtree::child(part, "name"));
      const std::string message = "DETACH PARTITION " + child + " takes ACCESS EXCLUSIVE on " +
                                  parent + ": every query on every partition of " + parent +
                                  " waits for it";
      if (ctx.server_version() >= 140000) {
        sink.report(info(), message,
                    "ALTER TABLE " + parent + " DETACH PARTITION " + child +
                        " CONCURRENTLY; (its own step, outside a transaction; not possible if " +
                        parent + " has a DEFAULT partition)");
      } else {
        sink.report(info(), message,
                    "DETACH ... CONCURRENTLY needs PostgreSQL 14; before that, detach at a quiet "
                    "time in a migration of its own so the lock is held only briefly");
      }
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_detach_partition_blocking() {
  return std::make_unique<DetachPartitionBlocking>();
}

}  // namespace migrate
