// The SQLite rule framework: one rule per file under sqlite_rules/, each a SqliteRule that looks at
// what SQLite itself reported for one statement (the authorizer's actions while it was prepared,
// and the schema of the in-memory copy before and after it ran), and at the table rebuilds the
// analyzer recognised once the migration's last statement has run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libmigrate/sql/sql_statement.hpp"
#include "migrate/analysis.hpp"
#include "migrate/source.hpp"

namespace migrate {

// ---- The schema of the copy (sqlite_schema, pragma table_xinfo / foreign_key_list / table_list)

struct SqliteColumn {
  std::string name;
  std::string type;
  bool not_null = false;
  std::optional<std::string> default_value;  // the expression text, as pragma table_xinfo gives it
  int pk = 0;                                // position in the primary key, 0 if not part of it
  int hidden = 0;  // 0 ordinary, 1 hidden (virtual tables), 2 VIRTUAL generated, 3 STORED generated
};

struct SqliteForeignKey {
  std::string table;      // the referencing (child) table
  std::string column;     // the referencing column
  std::string parent;     // the referenced table, as written
  std::string parent_to;  // the referenced column, empty when the parent's primary key is meant
};

struct SqliteTable {
  std::string name;  // as created
  std::string sql;   // the CREATE TABLE text SQLite stores
  std::vector<SqliteColumn> columns;
  std::vector<SqliteForeignKey> foreign_keys;
  bool strict = false;
  bool without_rowid = false;
  const SqliteColumn* column(std::string_view column_name) const;  // case-insensitive
};

// An index, view or trigger.
struct SqliteObject {
  std::string type;   // "index", "view", "trigger"
  std::string name;   // as created
  std::string table;  // tbl_name: the table an index or trigger belongs to (the view itself)
  std::string sql;    // empty for automatic indexes
};

class SqliteSchemaHistory;  // every version of the copy's schema (sqlite_schema_snapshot.hpp)

// The schema of the copy at one moment, e.g. before or after one statement. A snapshot: it never
// changes and copying it copies no table. Names are case-insensitive, as in SQLite.
class SqliteSchema {
 public:
  SqliteSchema() = default;  // no tables, no objects
  SqliteSchema(std::shared_ptr<const SqliteSchemaHistory> history, std::uint64_t version)
      : history_(std::move(history)), version_(version) {}

  const SqliteTable* table(std::string_view name) const;
  const SqliteObject* object(std::string_view name) const;  // an index, view or trigger
  bool has(std::string_view name) const { return table(name) || object(name); }
  // Every table (every index, view and trigger), in the order of their lower-case names. These
  // visit the whole schema: for rare statements (a rename, a rebuild), not for every statement.
  std::vector<const SqliteTable*> tables() const;
  std::vector<const SqliteObject*> objects() const;
  // Foreign keys of every table that reference `parent` (its own self-references excluded).
  std::vector<SqliteForeignKey> references_to(std::string_view parent) const;
  // Lower-case names, in order, of the tables (the objects) that may differ between `earlier`
  // and this schema: created, dropped or changed in between. Every other name is the same in
  // both. Costs what changed in between when both come from the same history.
  std::vector<std::string> tables_changed_since(const SqliteSchema& earlier) const;
  std::vector<std::string> objects_changed_since(const SqliteSchema& earlier) const;

 private:
  std::shared_ptr<const SqliteSchemaHistory> history_;
  std::uint64_t version_ = 0;
};

std::string sqlite_lower(std::string_view s);  // ASCII lower case, as SQLite compares names

// ---- One statement

// What SQLite's authorizer reported while the statement was prepared.
struct SqliteAction {
  int code = 0;        // SQLITE_CREATE_TABLE, SQLITE_INSERT, ...
  std::string arg1;    // per sqlite3_set_authorizer's table of arguments
  std::string arg2;    //
  std::string arg3;    // the database name; for DROP COLUMN's SQLITE_ALTER_TABLE, the column
  std::string source;  // the trigger or view that caused the action, empty when direct
};

enum class SqliteOutcome {
  kRan,          // ran on the copy; `after` is the schema it left
  kFailed,       // SQLite refused it and a rule explains why; the copy is unchanged
  kSkipped,      // refers to tables the analysed migrations never created: not run, no findings
  kNotExecuted,  // transaction control, foreign_keys pragma, ATTACH, VACUUM: never run on the copy
};

struct SqliteStatementFacts {
  const SqlStatement& statement;
  const std::vector<SqliteAction>& actions;
  // "CREATE TABLE", "ALTER TABLE ADD COLUMN", "ALTER TABLE DROP COLUMN", "ALTER TABLE RENAME
  // COLUMN", "ALTER TABLE RENAME TO", "INSERT", "UPDATE", "DELETE", "CREATE INDEX", ...
  std::string action;
  std::string table;     // the table (or view, for view DDL) the action is about, as written
  std::string column;    // ADD / DROP / RENAME COLUMN: the column (RENAME: its old name)
  std::string new_name;  // RENAME TO / RENAME COLUMN: the new name
  std::vector<std::string> read_tables;     // read directly (not by a trigger), lower case
  std::vector<std::string> written_tables;  // written directly or by triggers, lower case
  bool returning = false;                   // INSERT/UPDATE/DELETE ... RETURNING
  bool upsert = false;                      // INSERT ... ON CONFLICT DO UPDATE
  SqliteOutcome outcome = SqliteOutcome::kRan;
  std::string error;  // SQLite's message when the statement failed on the copy
  const SqliteSchema& before;
  const SqliteSchema& after;  // == before unless it ran
  const StatementAnalysis& base;

  bool ran() const { return outcome == SqliteOutcome::kRan; }
  bool has_action(int code) const;
};

// ---- A table rebuild: the documented way to change what ALTER TABLE cannot
// (https://www.sqlite.org/lang_altertable.html#otheralter). Recognised within one migration by
// following the rows: the original table is dropped or renamed aside, and at the end a table of
// the same name exists that holds its rows (CREATE new + INSERT ... SELECT + DROP + RENAME, or a
// copy aside + DROP + CREATE + INSERT ... SELECT, or RENAME aside + CREATE + INSERT ... SELECT).

struct SqliteRebuild {
  std::string table;  // the rebuilt table, lower case
  SqliteTable original;
  SqliteTable rebuilt;
  int removed_at = 0;  // position (0-based, in the migration) of the DROP / RENAME of the original
  int installed_at = 0;          // position of the CREATE / RENAME that gave the new table the name
  std::optional<int> copied_at;  // position of the INSERT ... SELECT / CREATE ... AS SELECT
  std::vector<int> also_part;    // other statements of the procedure (dropping the renamed-aside
                                 // original)
  std::vector<std::string> dropped_columns;
  std::vector<std::string> made_not_null;  // nullable in the original, NOT NULL in the rebuilt
  std::vector<SqliteForeignKey> children;  // foreign keys of other tables that referenced it
  // Those children's foreign keys as they are now, when they point at another table: renaming
  // the original aside rewrote them (SQLite 3.26+ without legacy_alter_table).
  std::vector<SqliteForeignKey> redirected;
  // Indexes and triggers of the original that the rebuilt table does not have.
  std::vector<std::string> not_recreated;
};

// ---- What rules know around a statement

class SqliteRuleContext {
 public:
  virtual ~SqliteRuleContext() = default;
  virtual const AnalysisOptions& options() const = 0;
  // The SQLite version the migrations will run on, sqlite3_libversion_number() style (3040001):
  // options.server_version_num when it looks like one, else the linked library's.
  virtual int target_version() const = 0;
  virtual ForeignKeyMode foreign_keys() const = 0;  // this migration's mode (default check)
  virtual bool transactional() const = 0;           // this migration runs in one transaction
  virtual bool legacy_alter_table() const = 0;      // PRAGMA legacy_alter_table=ON ran earlier
  // The schema when this migration started.
  virtual const SqliteSchema& migration_start() const = 0;
  // The table existed when this migration started (it may since have been dropped or replaced).
  virtual bool existed_before_migration(std::string_view table) const = 0;
  // The table, as it is now, was created by this migration (nobody else can see it yet).
  virtual bool created_in_this_migration(std::string_view table) const = 0;
  // Rows, when AnalysisOptions.table_rows knows the table.
  virtual std::optional<double> rows(std::string_view table) const = 0;
};

// Collects findings. A per-statement check reports on the statement being checked; a rebuild
// check names the statement (its position in the migration).
class SqliteFindingSink {
 public:
  struct Entry {
    int position = 0;
    Finding finding;
  };
  explicit SqliteFindingSink(int current_position) : current_(current_position) {}

  void report(const RuleInfo& rule, std::string message, std::string alternative = {},
              std::optional<Severity> severity = std::nullopt) {
    report_at(current_, rule, std::move(message), std::move(alternative), severity);
  }
  void report_at(int position, const RuleInfo& rule, std::string message,
                 std::string alternative = {}, std::optional<Severity> severity = std::nullopt);
  std::vector<Entry>& entries() { return entries_; }

 private:
  int current_;
  std::vector<Entry> entries_;
};

class SqliteRule {
 public:
  virtual ~SqliteRule() = default;
  virtual const RuleInfo& info() const = 0;
  // A statement SQLite refused on the copy: true when the refusal is what this rule is about
  // (then the analysis goes on, and check() reports it); otherwise the analysis fails.
  virtual bool explains_failure(const SqliteStatementFacts&) const { return false; }
  virtual void check(const SqliteStatementFacts&, const SqliteRuleContext&,
                     SqliteFindingSink&) const {}
  // Once per recognised rebuild, after the migration's last statement.
  virtual void check_rebuild(const SqliteRebuild&, const SqliteRuleContext&,
                             SqliteFindingSink&) const {}
};

// Every SQLite rule, in catalog order (sqlite_rule_registry.cpp).
const std::vector<std::unique_ptr<SqliteRule>>& sqlite_rules();

std::unique_ptr<SqliteRule> make_sqlite_table_rebuild();
std::unique_ptr<SqliteRule> make_sqlite_add_column_restrictions();
std::unique_ptr<SqliteRule> make_sqlite_drop_column();
std::unique_ptr<SqliteRule> make_sqlite_set_not_null();
std::unique_ptr<SqliteRule> make_sqlite_long_write_transaction();
std::unique_ptr<SqliteRule> make_sqlite_version_gated();

// "3.35.0" for 3035000.
std::string sqlite_version_text(int version_number);

}  // namespace migrate
