// work-while-holding-ae (catalog PG-TX-03): a slow statement (backfill, scan, index build)
// after a statement that took ACCESS EXCLUSIVE in the same transaction keeps that table locked
// against every query until the slow work commits.
#include <fmt/format.h>

#include <set>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;

std::string statement_kind(const std::string& node_type) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"AlterTableStmt", "ALTER TABLE"},
      {"DropStmt", "DROP"},
      {"RenameStmt", "RENAME"},
      {"TruncateStmt", "TRUNCATE"},
      {"LockStmt", "LOCK TABLE"},
      {"RefreshMatViewStmt", "REFRESH MATERIALIZED VIEW"},
      {"VacuumStmt", "VACUUM"},
      {"ClusterStmt", "CLUSTER"},
      {"CreateStmt", "CREATE TABLE"},
      {"UpdateStmt", "UPDATE"},
      {"DeleteStmt", "DELETE"},
      {"InsertStmt", "INSERT ... SELECT"},
      {"IndexStmt", "CREATE INDEX"},
      {"AlterObjectSchemaStmt", "ALTER ... SET SCHEMA"},
      {"CreateTrigStmt", "CREATE TRIGGER"},
      {"MergeStmt", "MERGE"}};
  for (const auto& [node, name] : kNames)
    if (node_type == node) return name;
  return node_type;
}

// "orders (by an earlier ALTER TABLE)": what an earlier statement holds ACCESS EXCLUSIVE on.
// DROP INDEX names the index; the lock that matters is on its table, which the SQL does not name.
std::string holder(const PgStatementInfo& earlier, const std::string& relation) {
  if (earlier.node_type == "DropStmt") {
    const std::string type = pgtree::text(earlier.node, "removeType");
    if (type == "OBJECT_INDEX")
      return "the table of index " + relation + " (by an earlier DROP INDEX)";
    if (type == "OBJECT_TABLE") return relation + " (by an earlier DROP TABLE)";
  }
  return relation + " (by an earlier " + statement_kind(earlier.node_type) + ")";
}

// INSERT whose rows come from a query over tables (not VALUES, not a bare SELECT of constants).
bool inserts_from_query(const Json& insert) {
  const Json& select = pgtree::child(pgtree::child(insert, "selectStmt"), "SelectStmt");
  if (select.is_null() || !pgtree::child(select, "valuesLists").is_null()) return false;
  return !pgtree::child(select, "fromClause").is_null() ||
         pgtree::text(select, "op") != "SETOP_NONE";
}

// What makes this statement slow, or "" when it is not (or touches only new tables).
std::string slow_work(const PgStatementFacts& facts, const PgMigrationContext& ctx) {
  bool touches_existing = false;
  for (const auto& l : facts.base.locks)
    touches_existing = touches_existing || !ctx.created_in_this_migration(l.relation);
  if (!touches_existing) return {};
  const std::string& t = facts.info.node_type;
  const Json& node = facts.info.node;
  const std::string target = pgtree::relation_name(pgtree::child(node, "relation"));
  if (t == "UpdateStmt" || t == "DeleteStmt" || t == "MergeStmt")
    return statement_kind(t) + " of " + target;
  if (t == "InsertStmt" && inserts_from_query(node)) return "INSERT ... SELECT into " + target;
  if (t == "IndexStmt" && !pgtree::flag(node, "concurrent")) return "the index build on " + target;
  if (t == "AlterTableStmt")
    for (const Json* cmd : pgtree::alter_table_commands(node))
      if (pgtree::text(*cmd, "subtype") == "AT_ValidateConstraint")
        return "VALIDATE CONSTRAINT " + pgtree::text(*cmd, "name") + " on " + target;
  if (facts.base.rewrites_table) return "the rewrite done by this " + statement_kind(t);
  // ANALYZE reads a bounded sample, not the table (VACUUM itself cannot run in a transaction).
  if (t == "VacuumStmt") return {};
  if (facts.base.scans_table) return "the table scan done by this " + statement_kind(t);
  return {};
}

class WorkWhileHoldingAe final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "work-while-holding-ae", Dialect::kPostgres, Severity::kWarning, MigrationClass::kAdditive,
        // The ACCESS EXCLUSIVE is an earlier statement's; this rule checks the relations itself
        // (FindingSink's automatic exemption looks at the current statement's locks).
        LockLevel::kNone,
        "PostgreSQL keeps every lock until the transaction ends. After a statement that took "
        "ACCESS EXCLUSIVE (most ALTER TABLE forms, DROP, RENAME, LOCK), every later statement "
        "of the same transaction runs with that table still locked against all reads and "
        "writes: a backfill, a VALIDATE, an index build or a scan turns a brief lock into an "
        "outage as long as the slow work.",
        "Commit between the lock-taking DDL and the slow work: put the slow statement in a "
        "migration of its own (or run this one with `-- migrate:transaction off`, so every "
        "statement commits on its own). Merge several ALTER TABLE actions on one table into one "
        "statement.",
        "ALTER TABLE orders ADD COLUMN status text;\nUPDATE orders SET status = 'new';",
        "ALTER TABLE orders ADD COLUMN status text;\n-- next migration, in batches:\nUPDATE "
        "orders SET status = 'new' WHERE id BETWEEN 1 AND 1000 AND status IS NULL;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (!facts.info.can_run_in_transaction || ctx.earlier_in_transaction().empty()) return;
    // A backfill migration's UPDATE/DELETE (and a statement naming :batch_start) runs in batches
    // of its own transactions, after the statements before it committed (docs/backfills.md).
    const std::string& type = facts.info.node_type;
    if (ctx.migration_backfill() && (type == "UpdateStmt" || type == "DeleteStmt" ||
                                     facts.statement.sql.find(":batch_start") != std::string::npos))
      return;
    const std::string work = slow_work(facts, ctx);
    if (work.empty()) return;
    // Tables that are visible to other sessions and locked ACCESS EXCLUSIVE by an earlier
    // statement of this transaction.
    std::vector<std::string> held;
    std::set<std::string> seen;
    for (const PgStatementInfo* earlier : ctx.earlier_in_transaction()) {
      const StatementAnalysis effects = pg_statement_effects(*earlier, ctx);
      for (const auto& l : effects.locks) {
        if (l.level != LockLevel::kAccessExclusive || ctx.created_in_this_migration(l.relation) ||
            !seen.insert(l.relation).second)
          continue;
        held.push_back(holder(*earlier, l.relation));
      }
    }
    if (held.empty()) return;
    constexpr std::size_t kListed = 3;
    std::string list;
    for (std::size_t i = 0; i < held.size() && i < kListed; ++i)
      list += (i == 0 ? "" : ", ") + held[i];
    if (held.size() > kListed) list += fmt::format(" and {} more", held.size() - kListed);
    sink.report(info(),
                work + " runs while this transaction still holds ACCESS EXCLUSIVE on " + list +
                    ": every query on " + (held.size() == 1 ? "that table" : "those tables") +
                    " waits until the slow work commits",
                "commit first: move this statement to a migration of its own, after the one "
                "that takes the lock (or run the migration with `-- migrate:transaction off`)");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_work_while_holding_ae() {
  return std::make_unique<WorkWhileHoldingAe>();
}

}  // namespace migrate
