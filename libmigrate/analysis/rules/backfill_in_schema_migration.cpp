// backfill-in-schema-migration (catalog PG-TX-04): an INSERT ... SELECT into an existing table
// copies a whole query result in one transaction: replica lag, bloat, and a statement timeout
// waiting to happen. UPDATE, DELETE and MERGE of existing tables are unbatched-data-change's
// (one finding per statement).
#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/sql/batch_placeholders.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;

// INSERT whose rows come from a query over tables (not VALUES, not a bare SELECT of constants).
bool inserts_from_query(const Json& insert) {
  const Json& select = pgtree::child(pgtree::child(insert, "selectStmt"), "SelectStmt");
  if (select.is_null() || !pgtree::child(select, "valuesLists").is_null()) return false;
  return !pgtree::child(select, "fromClause").is_null() ||
         pgtree::text(select, "op") != "SETOP_NONE";
}

class BackfillInSchemaMigration final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "backfill-in-schema-migration",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kDataBackfill,
        LockLevel::kRowExclusive,
        "An INSERT ... SELECT into an existing table copies a whole query result in one "
        "transaction: the WAL burst lags replicas, and on a large source the statement runs "
        "into statement_timeout (or, inside the DDL's transaction, keeps its locks for the "
        "whole run). UPDATE, DELETE and MERGE are reported by unbatched-data-change.",
        "Backfill in batches, outside the schema migration's DDL transaction: a migration of "
        "its own with `-- migrate:backfill`, whose INSERT ... SELECT bounds its source by "
        ":batch_start and :batch_end; the engine walks the key in short transactions that each "
        "record a checkpoint, so a killed run resumes where it stopped (docs/backfills.md).",
        "INSERT INTO orders_archive (id, total) SELECT id, total FROM orders;",
        "-- migrate:backfill\nINSERT INTO orders_archive (id, total)\n SELECT id, total FROM "
        "orders WHERE id > :batch_start AND id <= :batch_end;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const std::string& t = facts.info.node_type;
    const Json& node = facts.info.node;
    const std::string target = pgtree::relation_name(pgtree::child(node, "relation"));
    if (target.empty() || ctx.created_in_this_migration(target)) return;
    if (t != "InsertStmt" || !inserts_from_query(node)) return;
    // Batched by the engine: a backfill naming its batch bounds (docs/backfills.md).
    if (ctx.migration_backfill() &&
        !find_batch_placeholders(facts.statement.sql, Dialect::kPostgres).empty())
      return;
    sink.report(
        info(),
        "INSERT ... SELECT copies a whole query result into " + target + " in one transaction",
        "copy in batches: a `-- migrate:backfill` migration with INSERT INTO " + target +
            " SELECT ... WHERE id > :batch_start AND id <= :batch_end runs one short "
            "transaction per batch, resumable (docs/backfills.md)");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_backfill_in_schema_migration() {
  return std::make_unique<BackfillInSchemaMigration>();
}

}  // namespace migrate
