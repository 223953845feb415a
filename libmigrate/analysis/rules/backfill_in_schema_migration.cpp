// backfill-in-schema-migration (catalog PG-TX-04): a whole-table UPDATE or DELETE, or an
// INSERT ... SELECT, on an existing table does all its rows in one transaction: row locks on
// every row until commit, replica lag, bloat, and a statement timeout waiting to happen.
#include "libmigrate/analysis/pg_rule.hpp"

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
        "An UPDATE or DELETE without WHERE, or an INSERT ... SELECT, on an existing table "
        "changes every row in one transaction: each changed row stays locked against other "
        "writers until commit, the WAL burst lags replicas, dead rows bloat the table, and on a "
        "large table the statement runs into statement_timeout (or, inside the DDL's "
        "transaction, keeps its locks for the whole run).",
        "Backfill in batches, outside the schema migration's DDL transaction: walk the primary "
        "key in keyset batches of about 1000 rows, one short transaction per batch (for "
        "example a migration with `-- migrate:transaction off` and one statement per batch, or "
        "an application job), so each batch commits and releases its row locks.",
        "UPDATE orders SET status = 'new';",
        "-- one short transaction per batch, next batch from the last id:\nUPDATE orders SET "
        "status = 'new'\n WHERE id IN (SELECT id FROM orders WHERE id > 0 AND status IS NULL "
        "ORDER BY id LIMIT 1000);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const std::string& t = facts.info.node_type;
    const Json& node = facts.info.node;
    const std::string target = pgtree::relation_name(pgtree::child(node, "relation"));
    if (target.empty() || ctx.created_in_this_migration(target)) return;
    const bool whole_table =
        (t == "UpdateStmt" || t == "DeleteStmt") && pgtree::child(node, "whereClause").is_null();
    const bool copy = t == "InsertStmt" && inserts_from_query(node);
    if (!whole_table && !copy) return;
    if (t == "UpdateStmt") {
      sink.report(info(),
                  "UPDATE without WHERE rewrites every row of " + target +
                      " in one transaction: all of them stay locked until it commits",
                  "UPDATE " + target + " SET ... WHERE id IN (SELECT id FROM " + target +
                      " WHERE id > $last_id ORDER BY id LIMIT 1000); repeated, one short "
                      "transaction per batch, outside the DDL transaction");
    } else if (t == "DeleteStmt") {
      sink.report(info(),
                  "DELETE without WHERE removes every row of " + target +
                      " in one transaction: all of them stay locked until it commits",
                  "DELETE FROM " + target + " WHERE id IN (SELECT id FROM " + target +
                      " ORDER BY id LIMIT 1000); repeated, one short transaction per batch");
    } else {
      sink.report(
          info(),
          "INSERT ... SELECT copies a whole query result into " + target + " in one transaction",
          "copy in keyset batches (INSERT INTO " + target +
              " SELECT ... WHERE id > $last_id ORDER BY id LIMIT 1000), one short "
              "transaction per batch, outside the DDL transaction");
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_backfill_in_schema_migration() {
  return std::make_unique<BackfillInSchemaMigration>();
}

}  // namespace migrate
