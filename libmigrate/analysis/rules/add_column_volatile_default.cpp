// add-column-volatile-default (catalog PG-COL-01): ADD COLUMN with a volatile DEFAULT (or, before
// PostgreSQL 11, any non-NULL DEFAULT) rewrites the table and its indexes under ACCESS EXCLUSIVE.
#include <fmt/format.h>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

using column_rules::ColumnDefinition;

std::string major_version(int v) {
  return v >= 100000 ? std::to_string(v / 10000) : fmt::format("{}.{}", v / 10000, (v / 100) % 100);
}

class AddColumnVolatileDefault final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "add-column-volatile-default",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kDataBackfill,
        LockLevel::kAccessExclusive,
        "ADD COLUMN with a volatile DEFAULT (random(), gen_random_uuid(), clock_timestamp(), "
        "nextval(), ...) must store a different value in every existing row, so PostgreSQL "
        "rewrites the table and all its indexes while holding ACCESS EXCLUSIVE: reads and writes "
        "wait for the whole rewrite. Before PostgreSQL 11 any non-NULL DEFAULT does the same; "
        "from 11 on a constant or STABLE default (now(), current_timestamp) is metadata only.",
        "Add the column without a default (metadata only), SET DEFAULT for new rows, backfill "
        "existing rows in batches in a data migration, then add NOT NULL if needed through "
        "CHECK (c IS NOT NULL) NOT VALID + VALIDATE CONSTRAINT + SET NOT NULL.",
        "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE orders ADD COLUMN token uuid;\n"
        "ALTER TABLE orders ALTER COLUMN token SET DEFAULT gen_random_uuid();\n"
        "-- then, in batches: UPDATE orders SET token = gen_random_uuid()\n"
        "--   WHERE token IS NULL AND id BETWEEN $1 AND $2;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    for (const auto& d : column_rules::column_definitions(facts.info)) {
      if (d.kind != ColumnDefinition::Kind::kAddColumn) continue;
      const nlohmann::json* def = column_rules::column_constraint(*d.def, "CONSTR_DEFAULT");
      if (def == nullptr) continue;
      const nlohmann::json& expr = pgtree::child(*def, "raw_expr");
      const std::string volatile_fn = column_rules::volatile_call(expr);
      const bool old_server =
          ctx.server_version() < 110000 && !column_rules::is_null_constant(expr);
      if (volatile_fn.empty() && !old_server) continue;

      const std::string target = d.table + "." + d.column;
      std::string message =
          volatile_fn.empty()
              ? fmt::format("on PostgreSQL {} (before 11) ADD COLUMN {} with a non-NULL DEFAULT",
                            major_version(ctx.server_version()), target)
              : fmt::format("ADD COLUMN {} with DEFAULT calling {}() (volatile: a value per row)",
                            target, volatile_fn);
      message += fmt::format(
          " rewrites {} and all its indexes under ACCESS EXCLUSIVE: reads and writes wait for "
          "the whole rewrite",
          d.table);

      const column_rules::ColumnType type =
          column_rules::column_type(pgtree::child(*d.def, "typeName"));
      std::string value = column_rules::expr_sql(expr);
      if (value.empty()) value = "<the default expression>";
      std::string alternative = fmt::format(
          "ALTER TABLE {0} ADD COLUMN {1} {2}; ALTER TABLE {0} ALTER COLUMN {1} SET DEFAULT {3}; "
          "then backfill existing rows in batches in a data migration (UPDATE {0} SET {1} = {3} "
          "WHERE {1} IS NULL AND <key range>) and, if it must be NOT NULL, ADD CONSTRAINT ... "
          "CHECK ({1} IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL",
          d.table, d.column, type.known() ? column_rules::type_sql(type) : "<type>", value);
      sink.report(info(), std::move(message), std::move(alternative));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_add_column_volatile_default() {
  return std::make_unique<AddColumnVolatileDefault>();
}

}  // namespace migrate
