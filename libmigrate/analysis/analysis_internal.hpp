// Shared between the PostgreSQL and SQLite analyzers and the catalog.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "migrate/analysis.hpp"

namespace migrate {

class PgMigrationContext;

inline MigrationClass severer_class(MigrationClass a, MigrationClass b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

// The class a finding of `rule_id` gives its statement (the catalog's column).
MigrationClass class_of_rule(const std::string& rule_id);
const RuleInfo* find_rule(const std::string& rule_id);

// Tables a migration creates and the tables and columns it removes with their rows: what a down
// file loses when it runs (rollback-data-loss). Names as the dialect's analyzer spells them,
// lower case, without PostgreSQL's "public." prefix.
struct TableChanges {
  struct Removal {
    int position = 0;    // 0-based statement of the migration
    std::string table;   // the table, or the column's table
    std::string column;  // empty: the whole table
  };
  std::vector<std::string> created_tables;
  std::vector<Removal> removed;
};

// Fill out.statements (with their findings) for one migration, and `changes` when given. Throw
// Failure on parse errors.
void analyze_postgres_migration(const Migration& m, PgMigrationContext& ctx, MigrationAnalysis& out,
                                TableChanges* changes = nullptr);

class SqliteAnalysisContext;
// Shared ownership: the type is complete only in the SQLite analyzer's files
// (sqlite_analysis_context.hpp).
// One in-memory database per analysis holds the schema as the migrations build it.
std::shared_ptr<SqliteAnalysisContext> make_sqlite_context(const AnalysisOptions& options);
void analyze_sqlite_migration(const Migration& m, SqliteAnalysisContext& ctx,
                              MigrationAnalysis& out, TableChanges* changes = nullptr);
// Rules the SQLite analyzer knows (catalog order).
const std::vector<RuleInfo>& sqlite_rule_infos();

// Rules about the migration as a whole (suppressions, declared class).
const std::vector<RuleInfo>& migration_rule_infos();

}  // namespace migrate
