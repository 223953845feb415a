// sqlite-drop-column (catalog SL-03): ALTER TABLE DROP COLUMN (3.35+) rewrites every row of the
// table under the database write lock, and fails when anything else in the schema uses the
// column. SQLite's own checks run on the copy (before anything changes) and name the blocking
// object. (A column another table's foreign key can validly reference is a PRIMARY KEY or UNIQUE
// one, which SQLite refuses to drop anyway.)
#include <fmt/format.h>

#include <regex>

#include "libmigrate/analysis/sqlite_rule.hpp"

namespace migrate {
namespace {

bool explained_error(const std::string& error) {
  return sqlite_lower(error).starts_with("cannot drop ") ||
         error.find(" after drop column") != std::string::npos;
}

// What SQLite's refusal says is in the way.
std::string blocking_object(const SqliteStatementFacts& f) {
  const std::string& e = f.error;
  const std::string l = sqlite_lower(e);
  if (l.starts_with("cannot drop primary key column"))
    return fmt::format("{} is (part of) the PRIMARY KEY of {}", f.column, f.table);
  if (l.starts_with("cannot drop unique column"))
    return fmt::format("{} has a UNIQUE constraint", f.column);
  static const std::regex kErrorIn(
      R"(^error in (index|view|trigger|table) (.+) after drop column)");
  std::smatch m;
  if (std::regex_search(e, m, kErrorIn)) {
    const std::string kind = m[1], name = m[2];
    if (kind == "index") {
      const SqliteObject* idx = f.before.object(name);
      const bool partial = idx && sqlite_lower(idx->sql).find(" where ") != std::string::npos;
      return fmt::format("the index {} uses it{}", name,
                         partial ? " (in its columns or its WHERE clause)" : "");
    }
    if (kind == "view" || kind == "trigger") return fmt::format("the {} {} uses it", kind, name);
    if (e.find("foreign key definition") != std::string::npos)
      return fmt::format("a FOREIGN KEY constraint of {} uses it", name);
    return fmt::format("a CHECK constraint or generated column of {} uses it", name);
  }
  return "another part of the schema uses it";
}

class SqliteDropColumn final : public SqliteRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "sqlite-drop-column",
        Dialect::kSqlite,
        Severity::kWarning,
        MigrationClass::kBreaking,
        LockLevel::kDatabaseWrite,
        "ALTER TABLE DROP COLUMN (SQLite 3.35+) rewrites every row of the table while it holds "
        "the database write lock, and old application code that still reads or writes the column "
        "breaks. It fails when the column is (part of) the PRIMARY KEY, UNIQUE, indexed, named in "
        "a partial index's WHERE, a table CHECK constraint, a FOREIGN KEY constraint or a "
        "generated column, or used by a view or trigger.",
        "Drop it in a contract migration once no deployed code uses the column; drop or recreate "
        "the indexes, views and triggers that use it first (or rebuild the table, see "
        "sqlite-table-rebuild).",
        "CREATE INDEX idx_users_nickname ON users (nickname);\n"
        "ALTER TABLE users DROP COLUMN nickname;",
        "-- migrate:phase contract\nDROP INDEX idx_users_nickname;\n"
        "ALTER TABLE users DROP COLUMN nickname;"};
    return rule;
  }

  bool explains_failure(const SqliteStatementFacts& f) const override {
    return f.action == "ALTER TABLE DROP COLUMN" && explained_error(f.error);
  }

  void check(const SqliteStatementFacts& f, const SqliteRuleContext& ctx,
             SqliteFindingSink& sink) const override {
    if (f.action != "ALTER TABLE DROP COLUMN") return;
    if (f.outcome == SqliteOutcome::kFailed) {
      if (!explained_error(f.error)) return;
      const std::string why = blocking_object(f);
      sink.report(info(),
                  fmt::format("ALTER TABLE {} DROP COLUMN {} fails: {} (SQLite: {})", f.table,
                              f.column, why, f.error),
                  "drop or change what uses the column first (recreate it without the column "
                  "afterwards), or rebuild the table",
                  Severity::kError);
      return;
    }
    if (!f.ran()) return;
    if (ctx.created_in_this_migration(f.table)) return;
    auto rows = ctx.rows(f.table);
    sink.report(info(),
                fmt::format("ALTER TABLE {} DROP COLUMN {} rewrites every row{} under the database "
                            "write lock, and breaks code that still uses the column",
                            f.table, f.column,
                            rows ? fmt::format(" (about {:.0f})", *rows) : std::string()));
  }
};

}  // namespace

std::unique_ptr<SqliteRule> make_sqlite_drop_column() {
  return std::make_unique<SqliteDropColumn>();
}

}  // namespace migrate
