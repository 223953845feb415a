// prefer-timestamptz (catalog PG-COL-08, part): timestamp without time zone stores wall-clock
// values that mean different instants to clients in different zones, and moving to timestamptz
// later rewrites the table unless TimeZone is UTC.
#include <fmt/format.h>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

class PreferTimestamptz final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "prefer-timestamptz",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "timestamp without time zone stores a wall-clock reading with no zone: clients in "
        "different zones (or across a DST change) read different instants, and converting the "
        "column to timestamptz later rewrites the table unless the session TimeZone is UTC.",
        "Use timestamptz (timestamp with time zone): it stores an instant and converts to the "
        "client's zone on output.",
        "ALTER TABLE orders ADD COLUMN shipped_at timestamp;",
        "ALTER TABLE orders ADD COLUMN shipped_at timestamptz;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    for (const auto& d : column_rules::column_definitions(facts.info)) {
      auto type = column_rules::column_type(pgtree::child(*d.def, "typeName"));
      if (type.name != "timestamp") continue;
      type.name = "timestamptz";
      sink.report(info(),
                  fmt::format("{} timestamp without time zone: the values carry no zone, and "
                              "converting to timestamptz later rewrites the table unless "
                              "TimeZone is UTC",
                              column_rules::column_is(d)),
                  fmt::format("declare {} as {}", d.column, column_rules::type_sql(type)));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_prefer_timestamptz() {
  return std::make_unique<PreferTimestamptz>();
}

}  // namespace migrate
