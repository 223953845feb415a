// unbatched-data-change: an UPDATE or DELETE (or MERGE) of a table that exists before the
// migration changes all its matching rows in one statement, one transaction. The whole-table
// INSERT ... SELECT copy is backfill-in-schema-migration's; this rule owns UPDATE, DELETE and
// MERGE, so one statement never gets both findings.
#include <fmt/format.h>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;

// Above this many rows (the catalog's estimate) a whole-table change is an error: at about
// 10k rows/s of WAL-bound updates it holds its row locks for ten seconds or more.
constexpr double kLargeTableRows = 100'000;

// A sub-query with LIMIT anywhere in the tree.
bool limited_subquery(const Json& node) {
  if (node.is_object()) {
    if (node.contains("SubLink")) {
      const Json& select = pgtree::child(pgtree::child(node["SubLink"], "subselect"), "SelectStmt");
      if (!pgtree::child(select, "limitCount").is_null()) return true;
    }
    for (const auto& [k, v] : node.items())
      if (limited_subquery(v)) return true;
  } else if (node.is_array()) {
    for (const auto& v : node)
      if (limited_subquery(v)) return true;
  }
  return false;
}

bool is_constant(const Json& e) {
  return e.contains("A_Const") || e.contains("ParamRef") ||
         (e.contains("TypeCast") && is_constant(pgtree::child(e["TypeCast"], "arg")));
}

// The row key named as such: the column `id`.
bool is_id_column(const Json& e) {
  const Json& fields = pgtree::child(pgtree::child(e, "ColumnRef"), "fields");
  return fields.is_array() && !fields.empty() &&
         pgtree::text(pgtree::child(fields.back(), "String"), "sval") == "id";
}

// One batch already, or a handful of rows: a key range (id BETWEEN 1 AND 1000), rows picked
// through a sub-query with LIMIT (WHERE id IN (SELECT id FROM t ... LIMIT 1000)), or rows named
// by key (id = 7, id IN (1, 2, 3)), in the WHERE clause or one of its AND-ed conditions.
bool bounded(const Json& where) {
  if (where.contains("BoolExpr") && pgtree::text(where["BoolExpr"], "boolop") == "AND_EXPR") {
    for (const auto& arg : pgtree::child(where["BoolExpr"], "args"))
      if (bounded(arg)) return true;
    return false;
  }
  if (where.contains("A_Expr")) {
    const Json& e = where["A_Expr"];
    const std::string kind = pgtree::text(e, "kind");
    if (kind == "AEXPR_BETWEEN") return true;
    const Json& lhs = pgtree::child(e, "lexpr");
    const Json& rhs = pgtree::child(e, "rexpr");
    if (kind == "AEXPR_OP" && pgtree::dotted_name(pgtree::child(e, "name")) == "=" &&
        is_id_column(lhs) && is_constant(rhs))
      return true;
    if (kind == "AEXPR_IN" && is_id_column(lhs) && rhs.contains("List")) {
      for (const auto& item : pgtree::child(rhs["List"], "items"))
        if (!is_constant(item)) return false;
      return true;
    }
  }
  return limited_subquery(where);
}

class UnbatchedDataChange final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "unbatched-data-change",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kDataBackfill,
        LockLevel::kRowExclusive,
        "An UPDATE, DELETE or MERGE of an existing table changes every matching row in one "
        "transaction: each changed row stays locked against the application's writes until "
        "commit, the WAL burst lags replicas, dead rows bloat the table, and inside the "
        "migration's transaction any lock its DDL took is held for the whole run. A warning; an "
        "error without WHERE on a table the catalog says has more than 100000 rows.",
        "Run it as a batched backfill: put `-- migrate:backfill` at the top of its own migration "
        "file (docs/backfills.md); the engine walks the table's key in short transactions that "
        "each record a checkpoint, so a killed run resumes where it stopped.",
        "UPDATE orders SET status = 'new' WHERE status IS NULL;",
        "-- migrate:backfill\nUPDATE orders SET status = 'new' WHERE status IS NULL;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const std::string& t = facts.info.node_type;
    if (t != "UpdateStmt" && t != "DeleteStmt" && t != "MergeStmt") return;
    // Batched by the engine (docs/backfills.md).
    if (ctx.migration_backfill() && t != "MergeStmt") return;
    const Json& node = facts.info.node;
    const std::string target = pgtree::relation_name(pgtree::child(node, "relation"));
    // A table created earlier in this migration, or by an earlier migration of the same run,
    // has no rows anyone else wrote yet.
    if (target.empty() || ctx.created_in_this_migration(target) || ctx.created_in_same_run(target))
      return;
    const Json& where = pgtree::child(node, t == "MergeStmt" ? "joinCondition" : "whereClause");
    if (t != "MergeStmt" && !where.is_null() && bounded(where)) return;
    const bool whole_table = t != "MergeStmt" && where.is_null();
    const char* verb = t == "UpdateStmt"   ? "UPDATE"
                       : t == "DeleteStmt" ? "DELETE FROM"
                                           : "MERGE INTO";
    const auto rows = ctx.rows(target);
    RuleInfo rule = info();
    std::string size = "its size is unknown without a connection";
    if (rows) {
      size = fmt::format("the catalog estimates {:.0f} rows", *rows);
      if (whole_table && *rows > kLargeTableRows) rule.severity = Severity::kError;
      if (*rows < ctx.options().small_table_rows) rule.severity = Severity::kInfo;
    }
    sink.report(rule,
                fmt::format("{} {} {} in one transaction ({}): every changed row stays locked "
                            "until it commits",
                            verb, target,
                            whole_table ? "changes every row" : "changes all matching rows", size),
                t == "MergeStmt"
                    ? "write it as an UPDATE/INSERT pair bounded by :batch_start and :batch_end "
                      "in a `-- migrate:backfill` migration (docs/backfills.md)"
                    : fmt::format("move it into a migration file of its own that starts with "
                                  "`-- migrate:backfill`: the engine runs it in batches over {}'s "
                                  "key, one short transaction each, resumable (docs/backfills.md)",
                                  target));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_unbatched_data_change() {
  return std::make_unique<UnbatchedDataChange>();
}

}  // namespace migrate
