// sqlite-long-write-transaction (catalog SL-05 and SL-07): SQLite has one writer. A statement that
// touches every row of a big table (UPDATE, DELETE, INSERT ... SELECT, CREATE INDEX, which has no
// CONCURRENTLY) holds the database write lock until the migration commits, and every other
// writer waits or fails with SQLITE_BUSY. Needs row counts (AnalysisOptions.table_rows).
#include <fmt/format.h>

#include "libmigrate/analysis/sqlite_rule.hpp"

namespace migrate {
namespace {

class SqliteLongWriteTransaction final : public SqliteRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "sqlite-long-write-transaction",
        Dialect::kSqlite,
        Severity::kWarning,
        MigrationClass::kBackwardCompatible,
        LockLevel::kDatabaseWrite,
        "SQLite allows one writer at a time. A whole-table UPDATE, DELETE or INSERT ... SELECT, "
        "or a CREATE INDEX (SQLite has no concurrent build), on a big table holds the database "
        "write lock until the migration commits: every other writer waits out its busy_timeout "
        "and then fails with SQLITE_BUSY. Readers continue only in WAL mode.",
        "Backfill in short batches, each its own transaction (a separate data migration with "
        "`-- migrate:transaction off`, where each statement commits on its own), with WAL and a "
        "busy_timeout in the application; schedule index builds on big tables for a quiet "
        "period.",
        "UPDATE orders SET status = 'open' WHERE status IS NULL;",
        "-- migrate:transaction off\n"
        "UPDATE orders SET status = 'open' WHERE id IN (SELECT id FROM orders WHERE status IS "
        "NULL LIMIT 1000);"};
    return rule;
  }

  void check(const SqliteStatementFacts& f, const SqliteRuleContext& ctx,
             SqliteFindingSink& sink) const override {
    if (!f.ran()) return;
    const double small = ctx.options().small_table_rows;
    auto big = [&](const std::string& table) -> std::optional<double> {
      if (table.empty() || !ctx.existed_before_migration(table)) return std::nullopt;
      auto rows = ctx.rows(table);
      if (rows && *rows > small) return rows;
      return std::nullopt;
    };
    if (f.action == "UPDATE" || f.action == "DELETE") {
      if (auto rows = big(f.table))
        sink.report(info(),
                    fmt::format("{} on {} (about {:.0f} rows) holds the database write lock until "
                                "the migration commits",
                                f.action, f.table, *rows));
    } else if (f.action == "INSERT") {
      std::string source;
      double most = 0;
      for (const auto& t : f.read_tables)
        if (auto rows = big(t); rows && *rows > most) {
          most = *rows;
          source = t;
        }
      if (!source.empty())
        sink.report(info(),
                    fmt::format("INSERT INTO {} ... SELECT from {} (about {:.0f} rows) holds the "
                                "database write lock for the whole copy, until the migration "
                                "commits",
                                f.table, source, most));
    } else if (f.action == "CREATE INDEX" || f.action == "CREATE UNIQUE INDEX") {
      if (auto rows = big(f.table))
        sink.report(info(),
                    fmt::format("{} on {} (about {:.0f} rows) blocks every writer for the whole "
                                "build: SQLite has no concurrent index build",
                                f.action, f.table, *rows),
                    "build it when writes are quiet, or accept the pause knowingly (suppress with "
                    "a reason)");
    }
  }
};

}  // namespace

std::unique_ptr<SqliteRule> make_sqlite_long_write_transaction() {
  return std::make_unique<SqliteLongWriteTransaction>();
}

}  // namespace migrate
