// sqlite-add-column-restrictions (catalog SL-02): ALTER TABLE ADD COLUMN refuses a PRIMARY KEY or
// UNIQUE column outright, and on a table that has rows it refuses NOT NULL without a default, a
// non-constant default, a STORED generated column, and (foreign keys on) a REFERENCES column with
// a non-NULL default. The copy is usually empty, so the row-dependent cases are read from what
// SQLite compiled: it adds an "is the table empty?" probe for exactly those columns.
#include <sqlite3.h>

#include <fmt/format.h>

#include "libmigrate/analysis/sqlite_rule.hpp"

namespace migrate {
namespace {

bool explained_error(const std::string& error) {
  const std::string e = sqlite_lower(error);
  return e.starts_with("cannot add a") || e.find("constraint failed") != std::string::npos ||
         e.find("type mismatch on default") != std::string::npos;
}

bool has_default(const SqliteColumn& c) {
  return c.default_value && sqlite_lower(*c.default_value) != "null";
}

class SqliteAddColumnRestrictions final : public SqliteRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "sqlite-add-column-restrictions",
        Dialect::kSqlite,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kDatabaseWrite,
        "SQLite's ADD COLUMN cannot add a PRIMARY KEY or UNIQUE column, and on a table that has "
        "rows it refuses NOT NULL without a default, a non-constant default (CURRENT_TIMESTAMP, "
        "an expression), a STORED generated column, and, with foreign keys on, a REFERENCES "
        "column with a non-NULL default. The statement fails when the migration runs, usually "
        "only in production where the table is not empty.",
        "Add the column nullable or with a constant default, then backfill; add uniqueness with "
        "CREATE UNIQUE INDEX; for anything else rebuild the table (see sqlite-table-rebuild).",
        "ALTER TABLE orders ADD COLUMN created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP;",
        "ALTER TABLE orders ADD COLUMN created_at TEXT;\n"
        "UPDATE orders SET created_at = CURRENT_TIMESTAMP WHERE created_at IS NULL;"};
    return rule;
  }

  bool explains_failure(const SqliteStatementFacts& f) const override {
    return f.action == "ALTER TABLE ADD COLUMN" && explained_error(f.error);
  }

  void check(const SqliteStatementFacts& f, const SqliteRuleContext& ctx,
             SqliteFindingSink& sink) const override {
    if (f.action != "ALTER TABLE ADD COLUMN") return;
    if (f.outcome == SqliteOutcome::kFailed) {
      if (!explained_error(f.error)) return;
      sink.report(info(), fmt::format("ALTER TABLE {} ADD COLUMN fails: {}", f.table, f.error));
      return;
    }
    if (!f.ran() || ctx.created_in_this_migration(f.table)) return;  // the copy is the truth
    const SqliteTable* t = f.after.table(f.table);
    const SqliteColumn* c = t ? t->column(f.column) : nullptr;
    if (!c) return;
    if (auto rows = ctx.rows(f.table); rows && *rows == 0) return;
    std::string reason;
    // SQLite compiles a "fail unless the table is empty" check for the refused kinds of column.
    bool empty_check = false;
    for (const auto& a : f.actions)
      if (a.code == SQLITE_READ && a.source.empty() &&
          sqlite_lower(a.arg1) == sqlite_lower(f.table) && a.arg2.empty())
        empty_check = true;
    if (empty_check) {
      if (c->hidden == 3)
        reason = "a STORED generated column (\"cannot add a STORED column\")";
      else if (c->not_null && !has_default(*c))
        reason =
            "NOT NULL without a default (\"Cannot add a NOT NULL column with default value "
            "NULL\")";
      else if (c->default_value)
        reason = fmt::format(
            "a non-constant default {} (\"Cannot add a column with non-constant default\")",
            *c->default_value);
      else
        reason = "a column SQLite only adds to an empty table";
    } else if (ctx.foreign_keys() == ForeignKeyMode::kEnforce && has_default(*c)) {
      for (const auto& fk : t->foreign_keys)
        if (sqlite_lower(fk.column) == sqlite_lower(c->name))
          reason =
              "a REFERENCES column with a non-NULL default while foreign keys are enforced "
              "(\"Cannot add a REFERENCES column with non-NULL default value\")";
    }
    if (reason.empty()) return;
    sink.report(info(),
                fmt::format("ALTER TABLE {} ADD COLUMN {}: {}; SQLite refuses it once the table "
                            "has rows",
                            f.table, c->name, reason));
  }
};

}  // namespace

std::unique_ptr<SqliteRule> make_sqlite_add_column_restrictions() {
  return std::make_unique<SqliteAddColumnRestrictions>();
}

}  // namespace migrate
