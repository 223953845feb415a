// json-type (catalog PG-COL-07): json has no equality operator, so DISTINCT, UNION and GROUP BY
// over it fail, and it is re-parsed on every access; jsonb has neither problem.
#include <fmt/format.h>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

class JsonType final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "json-type",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "json stores the text as written: it has no equality operator (SELECT DISTINCT, UNION "
        "and GROUP BY over it fail), cannot be indexed with GIN, and is re-parsed on every "
        "access. Changing the type later is a table rewrite.",
        "Use jsonb (keep json only when key order or duplicate keys must be preserved).",
        "ALTER TABLE events ADD COLUMN payload json;",
        "ALTER TABLE events ADD COLUMN payload jsonb;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    for (const auto& d : column_rules::column_definitions(facts.info)) {
      const auto type = column_rules::column_type(pgtree::child(*d.def, "typeName"));
      if (type.name != "json") continue;
      sink.report(info(),
                  fmt::format("{} json{}: no equality operator (DISTINCT, UNION and GROUP BY "
                              "over it fail) and no GIN indexing; use jsonb",
                              column_rules::column_is(d), type.array ? "[]" : ""),
                  fmt::format("declare {} as jsonb{}", d.column, type.array ? "[]" : ""));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_json_type() {
  return std::make_unique<JsonType>();
}

}  // namespace migrate
