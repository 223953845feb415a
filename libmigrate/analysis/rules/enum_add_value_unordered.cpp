// enum-add-value-unordered (catalog PG-TYP-01): ALTER TYPE ... ADD VALUE without BEFORE/AFTER
// appends the value last, which decides how it sorts and compares, maybe by accident.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class EnumAddValueUnordered final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "enum-add-value-unordered",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "ALTER TYPE ... ADD VALUE without BEFORE or AFTER puts the new value after all the "
        "others, and an enum's order is what ORDER BY, <, > and MIN/MAX use. The new value also "
        "cannot be used (inserted, compared, cast) until the transaction that added it commits, "
        "and before PostgreSQL 12 the statement cannot run inside a transaction block at all.",
        "Say where the value goes with BEFORE or AFTER, run the ADD VALUE as its own step, and "
        "use the new value only in a later migration.",
        "ALTER TYPE order_status ADD VALUE 'refunded';",
        "ALTER TYPE order_status ADD VALUE 'refunded' AFTER 'delivered';"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const auto& node = facts.info.node;
    if (facts.info.node_type != "AlterEnumStmt") return;
    const std::string value = pgtree::text(node, "newVal");
    // RENAME VALUE sets oldVal; ADD VALUE ... BEFORE/AFTER sets the neighbour.
    if (value.empty() || !pgtree::text(node, "oldVal").empty() ||
        !pgtree::text(node, "newValNeighbor").empty()) {
      return;
    }
    const std::string type = pgtree::dotted_name(pgtree::child(node, "typeName"));
    std::string message = "ALTER TYPE " + type + " ADD VALUE '" + value + "' puts '" + value +
                          "' after every existing value, so it sorts and compares last; '" + value +
                          "' cannot be used until this transaction commits";
    if (ctx.server_version() < 120000)
      message += ", and on PostgreSQL before 12 this statement cannot run in a transaction block";
    sink.report(info(), std::move(message),
                "ALTER TYPE " + type + " ADD VALUE '" + value +
                    "' BEFORE|AFTER '<existing value>'; as its own step, and use '" + value +
                    "' only in a later migration");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_enum_add_value_unordered() {
  return std::make_unique<EnumAddValueUnordered>();
}

}  // namespace migrate
