// alter-column-type-rewrite (catalog PG-COL-04): ALTER COLUMN ... TYPE rewrites the table and all
// its indexes under ACCESS EXCLUSIVE unless the old type is binary-coercible to the new one.
#include <fmt/format.h>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

using column_rules::ColumnDefinition;
using column_rules::ColumnType;

enum class Verdict { kNoRewrite, kMaybe, kRewrite };

struct Judgement {
  Verdict verdict = Verdict::kRewrite;
  std::string reason;  // for kMaybe: when it is metadata only
};

bool is_datetime(const std::string& n) {
  return n == "timestamp" || n == "timestamptz" || n == "time" || n == "timetz";
}

bool unbounded_text(const ColumnType& t) {
  return !t.array && t.mods.empty() && (t.name == "text" || t.name == "varchar");
}

// Precision of timestamp/time(p): 6 when not written.
int precision(const ColumnType& t) {
  return t.mods.empty() ? 6 : t.mods[0];
}

// serial is integer with a sequence default: the column's type is the integer.
ColumnType storage(ColumnType t) {
  if (t.name == "serial" || t.name == "serial4") t.name = "int4";
  if (t.name == "bigserial" || t.name == "serial8") t.name = "int8";
  if (t.name == "smallserial" || t.name == "serial2") t.name = "int2";
  return t;
}

// The catalog's in-place list, when the old type is known from earlier migrations.
Judgement judge_known(const ColumnType& old_type, const ColumnType& new_type, int server_version) {
  const ColumnType from = storage(old_type), to = storage(new_type);
  if (from.array != to.array) return {};
  if (from == to) return {Verdict::kNoRewrite, {}};
  const bool varlen_ok = to.mods.empty() || (!from.mods.empty() && to.mods[0] >= from.mods[0]);
  if (from.name == "varchar" && (to.name == "text" || (to.name == "varchar" && varlen_ok)))
    return {Verdict::kNoRewrite, {}};
  if (from.name == "text" && to.name == "varchar" && to.mods.empty())
    return {Verdict::kNoRewrite, {}};
  if (from.name == "varbit" && to.name == "varbit" && varlen_ok) return {Verdict::kNoRewrite, {}};
  if (from.name == "numeric" && to.name == "numeric") {
    if (to.mods.empty()) return {Verdict::kNoRewrite, {}};
    if (!from.mods.empty()) {
      const int from_scale = from.mods.size() > 1 ? from.mods[1] : 0;
      const int to_scale = to.mods.size() > 1 ? to.mods[1] : 0;
      if (to_scale == from_scale && to.mods[0] >= from.mods[0]) return {Verdict::kNoRewrite, {}};
    }
    return {};
  }
  if (from.name == "cidr" && to.name == "inet") return {Verdict::kNoRewrite, {}};
  if (is_datetime(from.name) && from.name == to.name)
    return precision(to) >= precision(from) ? Judgement{Verdict::kNoRewrite, {}} : Judgement{};
  const bool tz_swap = (from.name == "timestamp" && to.name == "timestamptz") ||
                       (from.name == "timestamptz" && to.name == "timestamp");
  if (tz_swap && precision(to) >= precision(from) && server_version >= 120000)
    return {Verdict::kMaybe, "skips the rewrite only when the session TimeZone is UTC"};
  return {};
}

class AlterColumnTypeRewrite final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "alter-column-type-rewrite",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "ALTER COLUMN ... TYPE rewrites the table and rebuilds every index while holding ACCESS "
        "EXCLUSIVE (reads and writes wait for all of it), unless the old type is binary-coercible "
        "to the new one: varchar(n) to a longer varchar, varchar or text; numeric precision up at "
        "the same scale; cidr to inet; timestamp/time precision up; timestamp <-> timestamptz "
        "with TimeZone UTC (PostgreSQL 12+). Clients reading the old type may break too. Without "
        "a connection the old type is known only when an earlier migration of the set declared "
        "it.",
        "Expand/contract: add a new column of the new type, keep it in sync with a trigger, "
        "backfill it in batches, switch the app to it, and drop the old column in a later "
        "contract migration.",
        "ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2);",
        "ALTER TABLE orders ADD COLUMN amount_new numeric(12,2);\n"
        "-- trigger: NEW.amount_new := NEW.amount; backfill in batches; switch reads;\n"
        "-- later, in a contract migration: ALTER TABLE orders DROP COLUMN amount;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    for (const auto& d : column_rules::column_definitions(facts.info)) {
      if (d.kind != ColumnDefinition::Kind::kAlterType) continue;
      const ColumnType to = column_rules::column_type(pgtree::child(*d.def, "typeName"));
      const bool using_clause = !pgtree::child(*d.def, "raw_default").is_null();
      const bool collate = !pgtree::child(*d.def, "collClause").is_null();
      const auto from = column_rules::known_column_type(ctx, d.table, d.column);
      const std::string to_sql = column_rules::type_sql(to);
      const std::string target =
          fmt::format("ALTER COLUMN {}.{} TYPE {}", d.table, d.column, to_sql);
      const std::string from_text =
          from ? fmt::format(" (from {})", column_rules::type_sql(*from)) : std::string();
      const std::string rewrite_text = fmt::format(
          "rewrites {} and rebuilds all its indexes under ACCESS EXCLUSIVE: reads and writes "
          "wait for the whole rewrite",
          d.table);

      Judgement j;
      if (using_clause)
        j = {};
      else if (from)
        j = judge_known(*from, to, ctx.server_version());
      else if (unbounded_text(to))
        j = {Verdict::kMaybe,
             "is metadata only if the column is varchar or text (the old type is not known "
             "without a connection)"};
      if (collate && j.verdict == Verdict::kNoRewrite) {
        sink.report(warning_info(),
                    fmt::format("{}{} COLLATE keeps the rows but rebuilds every index on {} under "
                                "ACCESS EXCLUSIVE if the collation changes: reads and writes wait "
                                "for the rebuild",
                                target, from_text, d.column),
                    "keep the column's collation, or build the new indexes CONCURRENTLY on a new "
                    "column (expand/contract)");
        continue;
      }

      if (j.verdict == Verdict::kNoRewrite) continue;
      if (j.verdict == Verdict::kMaybe) {
        std::string alternative =
            to.name == "timestamptz" || to.name == "timestamp"
                ? fmt::format(
                      "only if the stored values are UTC: SET LOCAL TimeZone = 'UTC'; in the same "
                      "transaction before the ALTER; otherwise expand/contract through a new {} "
                      "column",
                      to_sql)
                : "make sure the old type is binary-coercible (varchar or text), then accept "
                  "this with `-- migrate:allow alter-column-type-rewrite reason \"...\"`; "
                  "otherwise expand/contract through a new column";
        sink.report(
            warning_info(),
            fmt::format("{}{} {}; otherwise it {}", target, from_text, j.reason, rewrite_text),
            std::move(alternative));
        continue;
      }

      std::string message = target + from_text;
      if (using_clause)
        message += " USING ... converts every row: it " + rewrite_text;
      else if (from)
        message += " " + rewrite_text;
      else
        message += fmt::format(
            " rewrites {} and rebuilds all its indexes under ACCESS EXCLUSIVE unless the old type "
            "is binary-coercible to {} (not known without a connection): reads and writes wait "
            "for the whole rewrite",
            d.table, to_sql);
      message += "; clients reading the old type may break";
      std::string alternative = fmt::format(
          "ALTER TABLE {0} ADD COLUMN {1}_new {2}; keep it in sync with a BEFORE INSERT OR UPDATE "
          "trigger; backfill existing rows in batches; switch the app to {1}_new; drop {1} in a "
          "later contract migration",
          d.table, d.column, to_sql);
      if (!from && !using_clause && to.name == "varchar" && !to.mods.empty() && !to.array)
        alternative += fmt::format(
            ". If {} is a varchar of at most {} characters this is metadata only: accept it "
            "with `-- migrate:allow alter-column-type-rewrite reason \"...\"`",
            d.column, to.mods[0]);
      sink.report(info(), std::move(message), std::move(alternative));
    }
    // After reading the old types: later statements see this statement's types.
    column_rules::record_column_types(facts.info, ctx);
  }

 private:
  const RuleInfo& warning_info() const {
    static const RuleInfo rule = [this] {
      RuleInfo r = info();
      r.severity = Severity::kWarning;
      return r;
    }();
    return rule;
  }
};

}  // namespace

std::unique_ptr<PgRule> make_alter_column_type_rewrite() {
  return std::make_unique<AlterColumnTypeRewrite>();
}

}  // namespace migrate
