// attach-partition-scan (catalog PG-TBL-06): ATTACH PARTITION scans the attached table under
// ACCESS EXCLUSIVE to check the partition bound, unless a valid CHECK already proves it.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;

// "public.t" and "t" are the same table for the facts this rule keeps.
std::string normalized(const std::string& relation) {
  return relation.rfind("public.", 0) == 0 ? relation.substr(7) : relation;
}

const char* const kValidCheck = "attach-partition-scan:valid-check-on:";
const char* const kNotValidCheck = "attach-partition-scan:not-valid-check:";

class AttachPartitionScan final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "attach-partition-scan",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kBackwardCompatible,
        LockLevel::kAccessExclusive,
        "ALTER TABLE ... ATTACH PARTITION checks that every row of the attached table fits the "
        "partition bound by scanning it while holding ACCESS EXCLUSIVE on it (and SHARE UPDATE "
        "EXCLUSIVE on the parent; ACCESS EXCLUSIVE before PostgreSQL 12), unless a valid CHECK "
        "constraint on it already implies the bound. A DEFAULT partition of the parent is "
        "scanned as well.",
        "Before attaching, add a CHECK that matches the bound as NOT VALID, validate it in a "
        "separate transaction (SHARE UPDATE EXCLUSIVE: reads and writes continue), then ATTACH "
        "(no scan), then drop the now-redundant CHECK.",
        "ALTER TABLE measurements ATTACH PARTITION measurements_2024\n  FOR VALUES FROM "
        "('2024-01-01') TO ('2025-01-01');",
        "ALTER TABLE measurements_2024 ADD CONSTRAINT m2024_bound\n  CHECK (day >= '2024-01-01' "
        "AND day < '2025-01-01') NOT VALID;\n-- next migration:\nALTER TABLE measurements_2024 "
        "VALIDATE CONSTRAINT m2024_bound;\n-- next migration:\nALTER TABLE measurements ATTACH "
        "PARTITION measurements_2024\n  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (facts.info.node_type != "AlterTableStmt") return;
    const std::string table = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
    auto& plan = ctx.plan_facts();
    for (const Json* cmd : pgtree::alter_table_commands(facts.info.node)) {
      const std::string sub = pgtree::text(*cmd, "subtype");
      // Remember validated CHECK constraints added to a table: the safe procedure's first steps.
      if (sub == "AT_AddConstraint") {
        const Json& con = pgtree::child(pgtree::child(*cmd, "def"), "Constraint");
        if (pgtree::text(con, "contype") != "CONSTR_CHECK") continue;
        if (!pgtree::flag(con, "skip_validation"))
          plan.insert(kValidCheck + normalized(table));
        else if (!pgtree::text(con, "conname").empty())
          plan.insert(kNotValidCheck + normalized(table) + "." + pgtree::text(con, "conname"));
      } else if (sub == "AT_ValidateConstraint") {
        if (plan.count(kNotValidCheck + normalized(table) + "." + pgtree::text(*cmd, "name")))
          plan.insert(kValidCheck + normalized(table));
      } else if (sub == "AT_AttachPartition") {
        const Json& part = pgtree::child(pgtree::child(*cmd, "def"), "PartitionCmd");
        const std::string child = pgtree::relation_name(pgtree::child(part, "name"));
        // A valid CHECK added by the analysed migrations: assumed to be the matching one (the
        // parse tree cannot prove that its expression implies the bound).
        if (plan.count(kValidCheck + normalized(child))) continue;
        const bool is_default = pgtree::flag(pgtree::child(part, "bound"), "is_default");
        sink.report(
            info(),
            "ATTACH PARTITION " + child + " scans all of " + child +
                " under ACCESS EXCLUSIVE to check " +
                (is_default ? "that none of its rows belongs to another partition"
                            : "the partition bound") +
                (ctx.server_version() < 120000
                     ? ", and holds ACCESS EXCLUSIVE on " + table + " meanwhile (before PG 12)"
                     : std::string()),
            is_default ? "attach at a quiet time in a migration of its own, or keep " + child +
                             " small while attaching"
                       : "first ALTER TABLE " + child + " ADD CONSTRAINT " + child +
                             "_bound CHECK (<the bound as an expression>) NOT VALID; then, in "
                             "a later transaction, ALTER TABLE " +
                             child + " VALIDATE CONSTRAINT " + child +
                             "_bound; then ATTACH PARTITION (no scan) and drop the CHECK");
      }
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_attach_partition_scan() {
  return std::make_unique<AttachPartitionScan>();
}

}  // namespace migrate
