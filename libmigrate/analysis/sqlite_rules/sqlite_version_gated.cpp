// sqlite-version-gated (catalog SL-06 and friends): features that only exist from some SQLite
// version on. The copy runs on the linked library; the migrations run on the application's, given
// as AnalysisOptions.server_version_num in sqlite3_libversion_number() form (3040001). Also
// RENAME TABLE where the dependent triggers and views are not updated (before 3.25, or with
// PRAGMA legacy_alter_table=ON).
#include <sqlite3.h>

#include <fmt/format.h>

#include <algorithm>

#include "libmigrate/analysis/sqlite_rule.hpp"

namespace migrate {
namespace {

struct Gate {
  std::string feature;
  int since;
};

class SqliteVersionGated final : public SqliteRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "sqlite-version-gated",
        Dialect::kSqlite,
        Severity::kError,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "Some SQL only exists from a given SQLite version on: RENAME COLUMN 3.25.0, DROP COLUMN "
        "and RETURNING 3.35.0, STRICT tables 3.37.0, generated columns 3.31.0, UPSERT 3.24.0, "
        "iif() 3.32.0, unixepoch(), format() and the -> / ->> operators 3.38.0. On an older "
        "library the migration fails with a syntax error. Before 3.25.0 (or with PRAGMA "
        "legacy_alter_table=ON) RENAME TABLE leaves triggers and views naming the old table.",
        "Write for the oldest SQLite the application ships with (set it as the analysis target "
        "version), or rebuild the table instead of DROP / RENAME COLUMN.",
        "ALTER TABLE users DROP COLUMN nickname;  -- target SQLite 3.31",
        "CREATE TABLE new_users (id INTEGER PRIMARY KEY, email TEXT);\n"
        "INSERT INTO new_users (id, email) SELECT id, email FROM users;\n"
        "DROP TABLE users;\n"
        "ALTER TABLE new_users RENAME TO users;"};
    return rule;
  }

  void check(const SqliteStatementFacts& f, const SqliteRuleContext& ctx,
             SqliteFindingSink& sink) const override {
    if (f.outcome != SqliteOutcome::kRan && f.outcome != SqliteOutcome::kFailed) return;
    std::vector<Gate> gates;
    const std::string& a = f.action;
    if (a == "ALTER TABLE DROP COLUMN") gates.push_back({"ALTER TABLE DROP COLUMN", 3'035'000});
    if (a == "ALTER TABLE RENAME COLUMN") gates.push_back({"ALTER TABLE RENAME COLUMN", 3'025'000});
    if (f.returning) gates.push_back({"RETURNING", 3'035'000});
    if (f.upsert) gates.push_back({"UPSERT (INSERT ... ON CONFLICT DO UPDATE)", 3'024'000});
    if (f.ran() && a.starts_with("CREATE TABLE")) {
      if (const SqliteTable* t = f.after.table(f.table)) {
        if (t->strict) gates.push_back({"STRICT tables", 3'037'000});
        if (t->without_rowid) gates.push_back({"WITHOUT ROWID tables", 3'008'002});
        for (const auto& c : t->columns)
          if (c.hidden == 2 || c.hidden == 3) {
            gates.push_back({"generated columns", 3'031'000});
            break;
          }
      }
    }
    if (f.ran() && a == "ALTER TABLE ADD COLUMN") {
      const SqliteTable* t = f.after.table(f.table);
      const SqliteColumn* c = t ? t->column(f.column) : nullptr;
      if (c && (c->hidden == 2 || c->hidden == 3))
        gates.push_back({"generated columns", 3'031'000});
    }
    for (const auto& x : f.actions) {
      if (x.code != SQLITE_FUNCTION) continue;
      const std::string fn = sqlite_lower(x.arg2);
      if (fn == "iif") gates.push_back({"iif()", 3'032'000});
      if (fn == "unixepoch") gates.push_back({"unixepoch()", 3'038'000});
      if (fn == "format") gates.push_back({"format()", 3'038'000});
      if (fn == "->" || fn == "->>") gates.push_back({"the " + fn + " operator", 3'038'000});
    }
    const int target = ctx.target_version();
    std::vector<std::string> seen;
    for (const auto& g : gates) {
      if (target >= g.since) continue;
      if (std::find(seen.begin(), seen.end(), g.feature) != seen.end()) continue;
      seen.push_back(g.feature);
      sink.report(info(),
                  fmt::format("{}: available from SQLite {} on; the target is SQLite {}", g.feature,
                              sqlite_version_text(g.since), sqlite_version_text(target)));
    }
    if (f.ran() && a == "ALTER TABLE RENAME TO") check_rename(f, ctx, sink);
  }

 private:
  // Triggers and views that name the renamed table: on the copy (3.25+) SQLite rewrote them, so
  // they are the ones whose text changed.
  void check_rename(const SqliteStatementFacts& f, const SqliteRuleContext& ctx,
                    SqliteFindingSink& sink) const {
    std::vector<std::string> dependents;
    const std::string old_name = sqlite_lower(f.table);
    for (const SqliteObject* o : f.before.objects()) {
      if (o->type != "view" && o->type != "trigger") continue;
      const SqliteObject* now = f.after.object(o->name);
      const bool rewritten = now && now->sql != o->sql;
      const bool names_it = sqlite_lower(o->sql).find(old_name) != std::string::npos;
      if (rewritten || (ctx.legacy_alter_table() && names_it))
        dependents.push_back(o->type + " " + o->name);
    }
    if (dependents.empty()) return;
    std::string list;
    for (const auto& d : dependents) list += (list.empty() ? "" : ", ") + d;
    if (ctx.legacy_alter_table()) {
      sink.report(info(),
                  fmt::format("RENAME TABLE {} with PRAGMA legacy_alter_table=ON leaves {} naming "
                              "the old table",
                              f.table, list),
                  "turn legacy_alter_table off, or drop and recreate those triggers and views",
                  Severity::kWarning);
    } else if (ctx.target_version() < 3'025'000) {
      sink.report(info(),
                  fmt::format("RENAME TABLE {} on SQLite {} leaves {} naming the old table "
                              "(updated only from 3.25.0)",
                              f.table, sqlite_version_text(ctx.target_version()), list),
                  "drop those triggers and views before the rename and recreate them after",
                  Severity::kWarning);
    }
  }
};

}  // namespace

std::unique_ptr<SqliteRule> make_sqlite_version_gated() {
  return std::make_unique<SqliteVersionGated>();
}

}  // namespace migrate
