// What a migration does before it runs: its class, the locks each statement takes, whether a
// table is rewritten or scanned, and rule findings with the safe alternative. Works without a
// database (`migrate lint`); with one, catalog facts sharpen it (table sizes, server version).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "migrate/dialect.hpp"
#include "migrate/error.hpp"
#include "migrate/source.hpp"

namespace migrate {

enum class Severity { kInfo, kWarning, kError };
const char* to_string(Severity s) noexcept;  // "info", "warning", "error"

// PostgreSQL's table lock modes, weakest first (SQLite: kDatabaseWrite for its single writer).
enum class LockLevel {
  kNone,
  kAccessShare,
  kRowShare,
  kRowExclusive,
  kShareUpdateExclusive,
  kShare,
  kShareRowExclusive,
  kExclusive,
  kAccessExclusive,
  kDatabaseWrite,
};
const char* to_string(LockLevel l) noexcept;  // "ACCESS EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", ...
// What the lock blocks, from the application's point of view.
const char* blocks_what(LockLevel l) noexcept;

struct RelationLock {
  std::string relation;  // as written, "schema.table" or "table"
  LockLevel level = LockLevel::kNone;
};

// One rule of the catalog (docs/rules.md is generated from these).
struct RuleInfo {
  std::string id;                  // stable, kebab-case: "create-index-blocking"
  std::optional<Dialect> dialect;  // nullopt: any dialect (the migration-level rules)
  Severity severity = Severity::kWarning;
  MigrationClass migration_class = MigrationClass::kAdditive;  // what a finding makes the statement
  LockLevel lock = LockLevel::kNone;                           // the lock the unsafe form takes
  std::string why;                                             // why it is dangerous
  std::string alternative;                                     // the safe way
  std::string bad_example;                                     // SQL that triggers it
  std::string good_example;  // SQL that does the same safely (may be several statements)
};

// "postgresql", "sqlite", or "any" for a rule of every dialect (as in docs/rules.md and JSON).
const char* dialect_name(const RuleInfo& rule) noexcept;

struct Finding {
  std::string rule_id;
  Severity severity = Severity::kWarning;
  std::string message;      // about this statement
  std::string alternative;  // the safe way, for this statement
  SourceLocation where;
  std::vector<RelationLock> locks;
  bool suppressed = false;
  std::string suppression_reason;
};

// What a statement does to the data already in a table: what its runtime scales with
// (docs/estimates.md).
enum class WorkKind {
  kCatalogOnly,     // changes the catalog only: about as long as a round trip
  kRewrite,         // writes a new copy of the table and rebuilds every index on it
  kScan,            // reads every row once (SET NOT NULL, VALIDATE of a CHECK)
  kForeignKeyScan,  // checks every row against the referenced table (VALIDATE of a FOREIGN KEY)
  kIndexBuild,      // sorts the table's rows into a new index
  kDataChange,      // UPDATE, DELETE, INSERT ... SELECT, MERGE: per row touched
  kUnknown,         // does work the estimator does not model (REINDEX, REFRESH, DO blocks...)
};
const char* to_string(WorkKind k) noexcept;  // "catalog-only", "rewrite", "scan", ...

struct StatementWork {
  WorkKind kind = WorkKind::kCatalogOnly;
  std::string table;  // the relation worked on, as written; empty for catalog-only work
  // Index builds: CONCURRENTLY, and the key columns ("" for an expression): the catalog says
  // whether one is variable-width (text...), which sorts slower than fixed-width keys.
  bool concurrent = false;
  std::vector<std::string> key_columns;
  // kScan and kForeignKeyScan from VALIDATE CONSTRAINT: the constraint, whose kind the catalog
  // tells (a CHECK scans, a FOREIGN KEY joins).
  std::string constraint;
};

struct StatementAnalysis {
  int index = 0;
  int line = 0;
  int column = 0;
  std::string kind;  // parse node ("AlterTableStmt") or SQLite action ("ALTER TABLE")
  MigrationClass migration_class = MigrationClass::kAdditive;
  std::vector<RelationLock> locks;
  bool rewrites_table = false;
  bool scans_table = false;
  bool can_run_in_transaction = true;
  StatementWork work;  // for runtime estimates
  std::vector<Finding> findings;
};

struct MigrationAnalysis {
  std::string version;
  std::string name;
  std::string file;
  MigrationClass inferred_class = MigrationClass::kAdditive;
  std::optional<MigrationClass> declared_class;
  std::vector<StatementAnalysis> statements;
  std::vector<Finding> findings;  // every finding of every statement, plus migration-level ones

  // Unsuppressed findings of severity error: apply refuses to run the migration.
  std::vector<const Finding*> blocking() const;
};

// A materialized view of the connected database (pg_matviews), for REFRESH ... CONCURRENTLY.
struct MaterializedViewFacts {
  bool populated = true;
  // A valid, immediate, unique B-tree index on plain columns without WHERE: the one kind
  // REFRESH MATERIALIZED VIEW CONCURRENTLY can use.
  bool usable_unique_index = false;
};

struct AnalysisOptions {
  Dialect dialect = Dialect::kPostgres;
  int server_version_num = 150000;  // PostgreSQL, e.g. 150004; gates version-dependent rules
  // Estimated rows per relation ("schema.table" and "table"), from the catalog when connected.
  // Lock rules lower their severity to info on tables below small_table_rows.
  std::map<std::string, double> table_rows;
  double small_table_rows = 10'000;
  // Extensions the server can install and what each requires (pg_available_extension_versions):
  // CREATE EXTENSION order is checked against it when present.
  std::map<std::string, std::vector<std::string>> extension_requires;
  // The catalog's opt-in hygiene rule: relations named without a schema (unqualified-relation).
  bool require_qualified_names = false;
  // Extensions already installed in the database (pg_extension), when connected.
  std::vector<std::string> installed_extensions;
  // Materialized views of the database by "schema.name", when connected: a view the analysed
  // migrations do not create is checked against these.
  std::map<std::string, MaterializedViewFacts> materialized_views;
  // The versions the run will apply (`plan`, `apply`): a table created by one of them is new,
  // and invisible to the running application, when the later ones run in the same run, so lock
  // rules skip it as they skip tables created earlier in the same migration. nullopt (`lint`):
  // unknown, so lock findings on tables created by an earlier migration of the set are warnings.
  std::optional<std::set<std::string>> pending_versions;
  // Expand versions known to be applied when their contracts run (`plan`, `apply`): inside a
  // contract that completes one of them, the breaking rules' warnings drop to info, since that
  // is where the change belongs. Empty for `lint`, which cannot tell.
  std::set<std::string> completed_expands;
};

// Analyzes the migrations in version order (objects created by earlier migrations of the set
// count as existing; objects created earlier in the same migration are exempt from lock rules).
// Fails (kSourceInvalid) when a statement does not parse.
Result<std::vector<MigrationAnalysis>> analyze_migrations(
    const std::vector<const Migration*>& migrations, const AnalysisOptions& options);

// Analyzes the down files of `reverted` (newest first: the order rollback runs them) on the
// schema the up files of `applied` (version order, every migration up to the newest reverted)
// build. Returns one analysis per down file, in `reverted`'s order; each finding's location is in
// the down file. Adds rollback-data-loss for every table and column a down file drops.
Result<std::vector<MigrationAnalysis>> analyze_rollback(
    const std::vector<const Migration*>& applied, const std::vector<const Migration*>& reverted,
    const AnalysisOptions& options);

// Every rule the analyzer knows, in catalog order.
const std::vector<RuleInfo>& rule_catalog();

// docs/rules.md, generated from rule_catalog().
std::string rules_markdown();

}  // namespace migrate
