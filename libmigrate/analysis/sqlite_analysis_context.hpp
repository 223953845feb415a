// The SQLite analysis context: the in-memory copy the migrations' statements run on, and what the
// migrations so far did to it (what each migration created and dropped, where rows went). One per
// analysis; the rules see it through SqliteRuleContext.
#pragma once

#include <sqlite3.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libmigrate/analysis/sqlite_rule.hpp"
#include "libmigrate/analysis/sqlite_schema_snapshot.hpp"
#include "libmigrate/analysis/sqlite_statement_effects.hpp"

namespace migrate {

class SqliteAnalysisContext final : public SqliteRuleContext {
 public:
  explicit SqliteAnalysisContext(const AnalysisOptions& options);
  ~SqliteAnalysisContext() override;
  SqliteAnalysisContext(const SqliteAnalysisContext&) = delete;
  SqliteAnalysisContext& operator=(const SqliteAnalysisContext&) = delete;

  // SqliteRuleContext
  const AnalysisOptions& options() const override { return options_; }
  int target_version() const override { return version_; }
  ForeignKeyMode foreign_keys() const override { return foreign_keys_; }
  bool transactional() const override { return transactional_; }
  bool legacy_alter_table() const override { return legacy_alter_table_; }
  const SqliteSchema& migration_start() const override { return start_; }
  bool existed_before_migration(std::string_view table) const override {
    return start_.table(table) != nullptr;
  }
  bool created_in_this_migration(std::string_view table) const override {
    return created_here_.count(sqlite_lower(table)) > 0;
  }
  std::optional<double> rows(std::string_view table) const override;

  // The copy's schema now.
  const SqliteSchema& schema() const { return reader_->current(); }

  // A view or trigger whose text names a table the analysed migrations never created (one file
  // linted alone) cannot work on the copy, and makes SQLite refuse later ALTER TABLEs that
  // re-check the whole schema. When `error` is such a refusal, drop that object from the copy
  // (it counts as never created from now on) and return true: the statement can be retried.
  bool evict_broken_dependent(const std::string& error);
  bool object_created_in_this_migration(std::string_view name) const {
    return objects_created_here_.count(sqlite_lower(name)) > 0;
  }
  bool ever_created(std::string_view name) const {
    return ever_created_.count(sqlite_lower(name)) > 0;
  }

  void begin_migration(const Migration& m);
  // Prepares `sql` with the authorizer on and runs it, unless it is one of the statements the
  // copy must not run (transaction control, the foreign_keys pragma, ATTACH/DETACH, VACUUM).
  SqliteExecution execute(const std::string& sql);
  // Bookkeeping after a statement: what exists, what was created here, where rows went.
  void track(const SqliteStatementFacts& f, int position);
  // After the migration's last statement: the rebuilds, with the statements they reclassify.
  std::vector<SqliteRebuild> rebuilds() const;
  // Indexes, views and triggers dropped by a statement of this migration and recreated with the
  // same definition before its end: position of the DROP.
  std::vector<int> drops_recreated_identically() const;

 private:
  // The pre-existing tables whose rows `table` holds now.
  std::set<std::string> origin(const std::string& table) const;
  void displace(const std::string& original, int position);
  void drop_table(const std::string& k, int position);
  void create_table(const std::string& k, const SqliteStatementFacts& f, int position);
  void rename_table(const std::string& from, const std::string& to, int position);

  // The authorizer, installed for the copy's lifetime: it records into `collecting_` while a
  // migration's statement is prepared (its actions) and while it runs (a re-prepare's, set
  // aside), and allows everything silently otherwise (the schema reader's own queries).
  static int authorize(void* self, int code, const char* arg1, const char* arg2, const char* arg3,
                       const char* source);

  const AnalysisOptions& options_;
  sqlite3* db_ = nullptr;
  std::vector<SqliteAction>* collecting_ = nullptr;
  int version_ = 0;
  std::optional<SqliteSchemaReader> reader_;
  std::set<std::string> ever_created_;
  bool legacy_alter_table_ = false;

  // This migration.
  ForeignKeyMode foreign_keys_ = ForeignKeyMode::kCheck;
  bool transactional_ = true;
  SqliteSchema start_;
  std::set<std::string> created_here_;                    // tables
  std::set<std::string> objects_created_here_;            // indexes, views, triggers
  std::map<std::string, std::set<std::string>> lineage_;  // table -> originals whose rows it holds
  std::set<std::string> displaced_;                       // originals dropped or renamed away
  std::map<std::string, int> removed_at_, installed_at_, copied_at_;
  std::map<std::string, std::vector<int>> aside_drops_;
  std::map<std::string, std::pair<int, std::string>> dropped_objects_;  // name -> (position, sql)
};

}  // namespace migrate
