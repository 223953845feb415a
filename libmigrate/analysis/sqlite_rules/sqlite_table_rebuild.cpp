// sqlite-table-rebuild (catalog SL-01): SQLite's ALTER TABLE cannot change a column's type,
// constraints, default or nullability, so those changes rebuild the table (create new, copy,
// drop old, rename). The procedure is safe only with foreign-key enforcement off, and
// PRAGMA foreign_keys does nothing inside a transaction: libmigrate's default mode `check` turns
// it off before the migration's transaction and runs PRAGMA foreign_key_check before commit.
#include <sqlite3.h>

#include <fmt/format.h>

#include "libmigrate/analysis/sqlite_rule.hpp"

namespace migrate {
namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string fk_text(const SqliteForeignKey& fk) {
  return fmt::format("{}({}) -> {}", fk.table, fk.column, fk.parent);
}

class SqliteTableRebuild final : public SqliteRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "sqlite-table-rebuild",
        Dialect::kSqlite,
        Severity::kInfo,
        MigrationClass::kBackwardCompatible,
        LockLevel::kDatabaseWrite,
        "SQLite's ALTER TABLE cannot change a column's type, constraints, default or NOT NULL; "
        "the documented way is a rebuild: create the new table, copy the rows, drop the old "
        "table, rename the new one. The copy holds the database write lock throughout. With "
        "foreign keys enforced, dropping the old table first deletes its rows: ON DELETE CASCADE "
        "empties the child tables, RESTRICT or NO ACTION makes the DROP fail. PRAGMA foreign_keys "
        "is a no-op inside a transaction, so it has to be turned off outside it.",
        "Keep libmigrate's default `-- migrate:foreign-keys check`: it turns enforcement off "
        "before the migration's transaction and runs PRAGMA foreign_key_check before commit. Do "
        "not write PRAGMA foreign_keys or BEGIN/COMMIT in the file. Rename the new table into "
        "place (renaming the old one aside rewrites the children's foreign keys to the aside "
        "name), and recreate the table's indexes, triggers and views afterwards.",
        "-- migrate:foreign-keys enforce\n"
        "CREATE TABLE new_orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL);\n"
        "INSERT INTO new_orders (id, total) SELECT id, total FROM orders;\n"
        "DROP TABLE orders;\n"
        "ALTER TABLE new_orders RENAME TO orders;",
        "CREATE TABLE new_orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL);\n"
        "INSERT INTO new_orders (id, total) SELECT id, total FROM orders;\n"
        "DROP TABLE orders;\n"
        "ALTER TABLE new_orders RENAME TO orders;\n"
        "CREATE INDEX idx_orders_total ON orders (total);"};
    return rule;
  }

  void check(const SqliteStatementFacts& f, const SqliteRuleContext&,
             SqliteFindingSink& sink) const override {
    // Warnings, not errors: the runner refuses both itself, with its own message, when the
    // statement is reached.
    for (const auto& a : f.actions) {
      if (a.code == SQLITE_PRAGMA && sqlite_lower(a.arg1) == "foreign_keys") {
        sink.report(
            info(),
            "PRAGMA foreign_keys inside a migration: libmigrate refuses it, and inside the "
            "migration's transaction it would do nothing anyway",
            "remove it; `-- migrate:foreign-keys check` (the default) turns enforcement off "
            "around the migration and checks the keys before commit",
            Severity::kWarning);
        return;
      }
      if (a.code == SQLITE_TRANSACTION || a.code == SQLITE_SAVEPOINT) {
        sink.report(info(),
                    fmt::format("transaction control ({}) inside a migration: libmigrate refuses "
                                "it; it runs each migration in its own transaction",
                                f.action),
                    "remove it; use `-- migrate:transaction off` for a migration that must not "
                    "run in one transaction",
                    Severity::kWarning);
        return;
      }
    }
  }

  void check_rebuild(const SqliteRebuild& r, const SqliteRuleContext& ctx,
                     SqliteFindingSink& sink) const override {
    std::vector<std::string> changes;
    if (!r.dropped_columns.empty())
      changes.push_back("drops " + joined(r.dropped_columns) + " (breaking for old code)");
    if (!r.made_not_null.empty())
      changes.push_back("makes " + joined(r.made_not_null) + " NOT NULL");
    std::vector<std::string> retyped;
    for (const auto& c : r.original.columns)
      if (const SqliteColumn* n = r.rebuilt.column(c.name);
          n && sqlite_lower(n->type) != sqlite_lower(c.type))
        retyped.push_back(fmt::format("{} {} -> {}", c.name, c.type, n->type));
    if (!retyped.empty()) changes.push_back("changes the type of " + joined(retyped));
    if (!r.not_recreated.empty()) changes.push_back("does not recreate " + joined(r.not_recreated));
    const std::string what = fmt::format("table rebuild of {}{}{}", r.original.name,
                                         changes.empty() ? "" : ": ", joined(changes));

    std::vector<std::string> children;
    for (const auto& fk : r.children) children.push_back(fk_text(fk));

    bool warned = false;
    if (ctx.foreign_keys() == ForeignKeyMode::kEnforce) {
      warned = true;
      sink.report_at(
          r.removed_at, info(),
          fmt::format("{}; with `-- migrate:foreign-keys enforce`, DROP TABLE {} deletes its rows "
                      "first: ON DELETE CASCADE empties the tables that reference it, RESTRICT or "
                      "NO ACTION makes the DROP fail{}",
                      what, r.original.name,
                      children.empty() ? std::string(" (no table references it yet)")
                                       : " (referenced by " + joined(children) + ")"),
          "remove `-- migrate:foreign-keys enforce` so libmigrate turns enforcement off around "
          "the migration and runs PRAGMA foreign_key_check before commit",
          Severity::kWarning);
    }
    if (!r.redirected.empty()) {
      warned = true;
      std::vector<std::string> now;
      for (const auto& fk : r.redirected) now.push_back(fk_text(fk));
      sink.report_at(
          r.removed_at, info(),
          fmt::format("{}; renaming {} aside rewrote the foreign keys that referenced it, which "
                      "now point at a table that is gone: {}",
                      what, r.original.name, joined(now)),
          fmt::format("create the new table under another name, copy the rows, DROP TABLE {} and "
                      "rename the new table to {} (the children's foreign keys keep the name)",
                      r.original.name, r.original.name),
          Severity::kWarning);
    }
    if (!ctx.transactional()) {
      warned = true;
      sink.report_at(r.removed_at, info(),
                     fmt::format("{}; the migration runs with `transaction off`, so other "
                                 "connections see {} missing or half-copied between the steps",
                                 what, r.original.name),
                     "let the rebuild run in the migration's transaction (remove `transaction "
                     "off`)",
                     Severity::kWarning);
    }
    if (!warned) {
      sink.report_at(r.removed_at, info(),
                     fmt::format("{}: it holds the database write lock for the whole copy; "
                                 "libmigrate's foreign-keys mode `check` turns enforcement off "
                                 "outside the transaction and runs PRAGMA foreign_key_check "
                                 "before commit",
                                 what));
    }
  }
};

}  // namespace

std::unique_ptr<SqliteRule> make_sqlite_table_rebuild() {
  return std::make_unique<SqliteTableRebuild>();
}

}  // namespace migrate
