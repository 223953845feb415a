// prefer-text-over-varchar (catalog PG-COL-08, part): a varchar(n) limit can only be changed by
// ALTER COLUMN TYPE under ACCESS EXCLUSIVE (lowering it rewrites the table); char(n) pads values.
// text with a CHECK on the length does the same job and changes online.
#include <fmt/format.h>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

using column_rules::ColumnDefinition;

class PreferTextOverVarchar final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "prefer-text-over-varchar",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "varchar(n) is text with a length check baked into the type: changing n later is an "
        "ALTER COLUMN TYPE under ACCESS EXCLUSIVE (lowering it rewrites the table). char(n) "
        "blank-pads every value to n characters and compares ignoring trailing spaces.",
        "Declare text and put the limit in a CHECK constraint, which can be replaced online "
        "(ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT).",
        "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(255));",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text\n"
        "  CONSTRAINT users_email_length CHECK (char_length(email) <= 255));"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    for (const auto& d : column_rules::column_definitions(facts.info)) {
      if (d.kind == ColumnDefinition::Kind::kAlterType) continue;
      const auto type = column_rules::column_type(pgtree::child(*d.def, "typeName"));
      const bool varchar_n = type.name == "varchar" && !type.mods.empty();
      if (!varchar_n && type.name != "bpchar") continue;
      const int n = type.mods.empty() ? 1 : type.mods[0];
      const std::string check =
          fmt::format("text CONSTRAINT ... CHECK (char_length({}) <= {})", d.column, n);
      if (varchar_n)
        sink.report(info(),
                    fmt::format("{} varchar({}): changing the limit later is an ALTER COLUMN "
                                "TYPE under ACCESS EXCLUSIVE (lowering it rewrites the table)",
                                column_rules::column_is(d), n),
                    fmt::format("declare {} as {}", d.column, check));
      else
        sink.report(info(),
                    fmt::format("{} char({}): values are blank-padded to {} characters and "
                                "compared ignoring trailing spaces",
                                column_rules::column_is(d), n, n),
                    fmt::format("declare {} as text, or {}", d.column, check));
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_prefer_text_over_varchar() {
  return std::make_unique<PreferTextOverVarchar>();
}

}  // namespace migrate
