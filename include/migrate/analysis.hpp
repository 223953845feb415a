// What a migration does before it runs: its class, the locks each statement takes, whether a
// table is rewritten or scanned, and rule findings with the safe alternative. Works without a
// database (`migrate lint`); with one, catalog facts sharpen it (table sizes, server version).
//
// Every function here reads only its arguments: no connection, no files, no logging. All are safe
// to call from any thread, concurrently (the catalog is immutable once built).
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

// How much a finding matters. Only unsuppressed kError findings make apply refuse a migration
// (kUnsafeMigration; Options::allow_unsafe and check_after relax that); the others are shown.
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
// What the lock blocks, from the application's point of view, in words ("everything, including
// plain SELECT"); for display, not for parsing. Returns a static string.
const char* blocks_what(LockLevel l) noexcept;
// PostgreSQL's table-level lock conflict table ("Conflicting Lock Modes" in the documentation of
// explicit locking; docs/postgresql.md#lock-queue-avoidance): true when a session asking for
// `requested` must wait for another session that holds (or waits ahead of it for) `held`. The
// relation is symmetric. kNone conflicts with nothing; kDatabaseWrite (SQLite's) with itself only.
bool lock_levels_conflict(LockLevel requested, LockLevel held) noexcept;

// A table lock a statement takes (or a finding's statement would take).
struct RelationLock {
  std::string relation;  // as written, "schema.table" or "table"
  LockLevel level = LockLevel::kNone;
};

// One rule of the analyzer's catalog: what rule_catalog() returns, and what docs/rules.md and
// `migrate rules` are generated from. Filled by the library; the id is stable across releases, the
// prose fields may be reworded.
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
// Returns a static string.
const char* dialect_name(const RuleInfo& rule) noexcept;

// One rule's verdict on one statement (or, with where.statement 0, on the migration as a whole),
// filled by the analyzer. The severity may be lower than the rule's: lock rules drop to info on
// small tables, breaking rules inside a contract that completes an applied expand.
struct Finding {
  std::string rule_id;
  Severity severity = Severity::kWarning;
  std::string message;      // about this statement
  std::string alternative;  // the safe way, for this statement
  SourceLocation where;     // in the analyzed file (the down file for analyze_rollback)
  std::vector<RelationLock> locks;
  // A `-- migrate:allow <rule-id> reason "..."` of the file silences it: still reported, never
  // refused.
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

// What a statement's runtime scales with, for the estimator (estimate.hpp): filled by the
// analyzer from the statement alone; the catalog supplies the sizes when planning.
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

// The analyzer's view of one statement of a file.
struct StatementAnalysis {
  int index = 0;  // 1-based within the file; line and column 1-based, of its first character
  int line = 0;
  int column = 0;
  std::string kind;  // parse node ("AlterTableStmt") or SQLite action ("ALTER TABLE")
  MigrationClass migration_class = MigrationClass::kAdditive;  // from its effects and findings
  std::vector<RelationLock> locks;
  bool rewrites_table = false;  // writes a new copy of a table (and its indexes)
  bool scans_table = false;     // reads every row of a table (SET NOT NULL, VALIDATE...)
  // False for statements the database refuses inside a transaction (CREATE INDEX CONCURRENTLY,
  // VACUUM...): the planner runs them on their own.
  bool can_run_in_transaction = true;
  StatementWork work;  // for runtime estimates
  std::vector<Finding> findings;
};

// The analyzer's result for one file (a migration's up file, or its down file for
// analyze_rollback), returned by analyze_migrations and analyze_rollback.
struct MigrationAnalysis {
  std::string version;  // canonical
  std::string name;
  std::string file;                                           // path of the analyzed file
  MigrationClass inferred_class = MigrationClass::kAdditive;  // the severest of its statements'
  std::optional<MigrationClass> declared_class;               // `-- migrate:class`, if given
  std::vector<StatementAnalysis> statements;
  std::vector<Finding> findings;  // every finding of every statement, plus migration-level ones

  // Unsuppressed findings of severity error, in `findings` order: when non-empty, apply refuses to
  // run the migration (unless Options::allow_unsafe or check_after). The pointers point into
  // `findings` and are valid as long as this object is neither modified nor destroyed.
  std::vector<const Finding*> blocking() const;
};

// A materialized view of the connected database (pg_matviews), for REFRESH ... CONCURRENTLY.
struct MaterializedViewFacts {
  bool populated = true;
  // A valid, immediate, unique B-tree index on plain columns without WHERE: the one kind
  // REFRESH MATERIALIZED VIEW CONCURRENTLY can use.
  bool usable_unique_index = false;
};

// What the analyzer knows beyond the files. The defaults describe `lint` without a database;
// Migrator::catalog_analysis_options and the planner fill the catalog fields from the live
// database.
struct AnalysisOptions {
  Dialect dialect = Dialect::kPostgres;
  // Gates version-dependent rules. PostgreSQL: server_version_num, e.g. 150004. SQLite: the
  // sqlite3_libversion_number() form, e.g. 3040001; a value below 3000000 (such as the default)
  // means the SQLite library libmigrate is linked with.
  int server_version_num = 150000;
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

// Analyzes the up files of `migrations` (precondition: in ascending version order, non-null),
// each on the schema the ones before it build: objects created by earlier migrations of the list
// count as existing; objects created earlier in the same migration are exempt from lock rules.
// Returns one analysis per migration, in the same order. Fails with kSourceInvalid, naming the
// file, version, statement, line and column, when a statement does not parse (PostgreSQL) or does
// not run against the schema built so far (SQLite: each statement runs on an in-memory copy of
// that schema); kInternal when that in-memory database cannot be opened. No I/O besides that
// in-memory database; safe to call from any thread.
Result<std::vector<MigrationAnalysis>> analyze_migrations(
    const std::vector<const Migration*>& migrations, const AnalysisOptions& options);

// Analyzes the down files of `reverted` (newest first: the order rollback runs them) on the
// schema the up files of `applied` (version order, every migration up to the newest reverted)
// build. Returns one analysis per down file, in `reverted`'s order; a migration of `reverted`
// without a down file is skipped. Each finding's location is in the down file. Adds
// rollback-data-loss for every table and column a down file drops. Fails as analyze_migrations,
// for an up file of `applied` as for a down file. Safe to call from any thread.
Result<std::vector<MigrationAnalysis>> analyze_rollback(
    const std::vector<const Migration*>& applied, const std::vector<const Migration*>& reverted,
    const AnalysisOptions& options);

// Every rule the analyzer knows, in catalog order (PostgreSQL rules, SQLite rules, then the
// migration-level rules of any dialect). The reference lives for the whole program and never
// changes; safe to call from any thread. Programs that need the rules read this.
const std::vector<RuleInfo>& rule_catalog();

// A stable part of the API: the Markdown of docs/rules.md (also `migrate rules --markdown`),
// generated from rule_catalog(), so a program can ship or serve the rule reference of the exact
// release it links. The text is documentation: its layout and wording may change between
// releases, so programs should read rule_catalog() rather than parse it. Pure; safe to call from
// any thread.
std::string rules_markdown();

}  // namespace migrate
