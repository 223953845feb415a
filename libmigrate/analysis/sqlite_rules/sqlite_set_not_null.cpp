// sqlite-set-not-null (catalog SL-04): SQLite has no ALTER COLUMN SET NOT NULL, so a rebuild
// makes a nullable column NOT NULL. Whether it works depends on the data: copying the rows fails
// on the first NULL, after the copy has held the write lock for as long as it took to get there.
#include <fmt/format.h>

#include "libmigrate/analysis/sqlite_rule.hpp"

namespace migrate {
namespace {

class SqliteSetNotNull final : public SqliteRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "sqlite-set-not-null",
        Dialect::kSqlite,
        Severity::kInfo,
        MigrationClass::kBackwardCompatible,
        LockLevel::kDatabaseWrite,
        "Making a nullable column NOT NULL takes a table rebuild in SQLite, and the rebuild's "
        "copy fails on the first row that still has NULL in the column: whether the migration "
        "works depends on the production data, not on the SQL.",
        "Backfill first (UPDATE ... SET c = ... WHERE c IS NULL, in batches, in an earlier "
        "migration), then rebuild with NOT NULL; or copy with COALESCE(c, <default>).",
        "CREATE TABLE new_users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
        "INSERT INTO new_users (id, email) SELECT id, email FROM users;\n"
        "DROP TABLE users;\n"
        "ALTER TABLE new_users RENAME TO users;",
        "CREATE TABLE new_users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
        "INSERT INTO new_users (id, email) SELECT id, COALESCE(email, '') FROM users;\n"
        "DROP TABLE users;\n"
        "ALTER TABLE new_users RENAME TO users;"};
    return rule;
  }

  void check_rebuild(const SqliteRebuild& r, const SqliteRuleContext&,
                     SqliteFindingSink& sink) const override {
    for (const auto& c : r.made_not_null) {
      sink.report_at(r.copied_at.value_or(r.removed_at), info(),
                     fmt::format("the rebuild of {} makes {} NOT NULL: copying the rows fails if "
                                 "any row has NULL in {}",
                                 r.original.name, c, c));
    }
  }
};

}  // namespace

std::unique_ptr<SqliteRule> make_sqlite_set_not_null() {
  return std::make_unique<SqliteSetNotNull>();
}

}  // namespace migrate
