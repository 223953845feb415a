// add-required-column (catalog PG-COL-03): ADD COLUMN ... NOT NULL without a DEFAULT fails on a
// table that has rows, and breaks INSERTs of the running app version that do not name the column.
#include <fmt/format.h>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

using column_rules::ColumnDefinition;

class AddRequiredColumn final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "add-required-column",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "ADD COLUMN c T NOT NULL (or PRIMARY KEY) without a DEFAULT fails with \"contains null "
        "values\" as soon as the table has a row; where it succeeds, every INSERT from the "
        "running app version that does not set the new column fails.",
        "Add the column nullable, deploy code that writes it, backfill in batches, then add NOT "
        "NULL through CHECK (c IS NOT NULL) NOT VALID + VALIDATE CONSTRAINT + SET NOT NULL; or, "
        "on PostgreSQL 11+, ADD COLUMN c T NOT NULL DEFAULT <constant> (metadata only).",
        "ALTER TABLE orders ADD COLUMN region text NOT NULL;",
        "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    using column_rules::column_constraint;
    for (const auto& d : column_rules::column_definitions(facts.info)) {
      if (d.kind != ColumnDefinition::Kind::kAddColumn) continue;
      const bool not_null = column_constraint(*d.def, "CONSTR_NOTNULL") != nullptr;
      const bool primary = column_constraint(*d.def, "CONSTR_PRIMARY") != nullptr;
      if (!not_null && !primary) continue;
      // Identity, generated and serial columns fill every row themselves
      // (add-column-rewrite-kinds).
      if (column_constraint(*d.def, "CONSTR_IDENTITY") != nullptr ||
          column_constraint(*d.def, "CONSTR_GENERATED") != nullptr)
        continue;
      const auto type = column_rules::column_type(pgtree::child(*d.def, "typeName"));
      if (type.name.find("serial") != std::string::npos) continue;
      const nlohmann::json* def = column_constraint(*d.def, "CONSTR_DEFAULT");
      if (def != nullptr && !column_rules::is_null_constant(pgtree::child(*def, "raw_expr")))
        continue;

      const std::string type_sql = type.known() ? column_rules::type_sql(type) : "<type>";
      std::string alternative = fmt::format(
          "ALTER TABLE {0} ADD COLUMN {1} {2}; deploy code that writes {1}; backfill existing "
          "rows in batches; then ALTER TABLE {0} ADD CONSTRAINT {3}_{1}_not_null CHECK ({1} IS "
          "NOT NULL) NOT VALID, VALIDATE CONSTRAINT {3}_{1}_not_null, ALTER COLUMN {1} SET NOT "
          "NULL",
          d.table, d.column, type_sql,
          pgtree::text(pgtree::child(facts.info.node, "relation"), "relname"));
      if (ctx.server_version() >= 110000)
        alternative += fmt::format(
            "; or ALTER TABLE {} ADD COLUMN {} {} NOT NULL DEFAULT <constant> (metadata only on "
            "PostgreSQL 11+)",
            d.table, d.column, type_sql);
      sink.report(
          info(),
          fmt::format("ADD COLUMN {}.{} {} without a DEFAULT fails if {} has any row, and "
                      "INSERTs of the running app version that do not set {} fail",
                      d.table, d.column, not_null ? "NOT NULL" : "PRIMARY KEY", d.table, d.column),
          std::move(alternative));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_add_required_column() {
  return std::make_unique<AddRequiredColumn>();
}

}  // namespace migrate
