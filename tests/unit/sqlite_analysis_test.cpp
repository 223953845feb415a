// The SQLite analyzer: statements understood by SQLite itself on an in-memory copy of the schema.
// The demo migrations infer the class they declare; the whole Kratos SQLite corpus analyses; and
// the classifier's decisions that the rule fixtures do not show (kinds, rebuilds, locks).
#include <gtest/gtest.h>

#include <map>

#include "migrate/analysis.hpp"
#include "support/kratos_corpus.hpp"
#include "support/migration_factory.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

AnalysisOptions sqlite_options() {
  AnalysisOptions o;
  o.dialect = Dialect::kSqlite;
  return o;
}

std::vector<MigrationAnalysis> analyze_all(const MigrationSet& set,
                                           const AnalysisOptions& options = sqlite_options()) {
  std::vector<const Migration*> ptrs;
  for (const auto& m : set.migrations) ptrs.push_back(&m);
  auto result = analyze_migrations(ptrs, options);
  if (!result) throw std::runtime_error(result.error().describe());
  return *std::move(result);
}

// Migrations built from SQL strings, analysed in order.
std::vector<MigrationAnalysis> analyze_sql(const std::vector<std::string>& sqls,
                                           const AnalysisOptions& options = sqlite_options()) {
  std::vector<Migration> ms;
  for (std::size_t i = 0; i < sqls.size(); ++i)
    ms.push_back(testing::make_migration(std::to_string(i + 1), "m", sqls[i]));
  std::vector<const Migration*> ptrs;
  for (auto& m : ms) ptrs.push_back(&m);
  auto result = analyze_migrations(ptrs, options);
  if (!result) throw std::runtime_error(result.error().describe());
  return *std::move(result);
}

std::vector<std::string> kinds(const MigrationAnalysis& a) {
  std::vector<std::string> out;
  for (const auto& s : a.statements) out.push_back(s.kind);
  return out;
}

std::vector<std::string> rule_ids(const MigrationAnalysis& a) {
  std::vector<std::string> out;
  for (const auto& f : a.findings) out.push_back(f.rule_id);
  return out;
}

// Where the demo's `-- migrate:class` and the analyzer disagree, and why the analyzer is kept.
// Each declared class is more severe than the inferred one, so declared-class-too-mild stays
// silent; the demo's owner decides whether to change the declarations.
const std::map<std::string, MigrationClass> kDemoDisagreements = {
    // Expand steps of a breaking change declared `breaking`; the statements themselves add a
    // nullable column, backfill it and add sync triggers: a data backfill.
    {"10", MigrationClass::kDataBackfill},
    {"17", MigrationClass::kDataBackfill},
    // ADD COLUMN ... NOT NULL DEFAULT 'team': a constant default is additive in SQLite (no
    // rewrite, old code unaffected, as the file itself says).
    {"13", MigrationClass::kAdditive},
    // CREATE VIEW of a new view: additive ("nothing existing reads or writes through it").
    {"16", MigrationClass::kAdditive},
};

TEST(SqliteAnalysis, DemoMigrationsInferTheClassTheyDeclare) {
  auto set = load_directory(std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite");
  ASSERT_TRUE(set) << set.error().describe();
  auto analyses = analyze_all(*set);
  ASSERT_EQ(analyses.size(), set->migrations.size());
  for (const auto& a : analyses) {
    ASSERT_TRUE(a.declared_class.has_value()) << a.file << " declares no class";
    auto odd = kDemoDisagreements.find(a.version);
    if (odd == kDemoDisagreements.end()) {
      EXPECT_STREQ(to_string(a.inferred_class), to_string(*a.declared_class)) << a.file;
    } else {
      EXPECT_STREQ(to_string(a.inferred_class), to_string(odd->second)) << a.file;
      EXPECT_GT(static_cast<int>(*a.declared_class), static_cast<int>(a.inferred_class)) << a.file;
    }
    EXPECT_TRUE(a.blocking().empty()) << a.file << ": " << a.blocking().front()->message;
  }
}

TEST(SqliteAnalysis, DemoRebuildIsRecognisedAndBreakingBecauseItDropsAColumn) {
  auto set = load_directory(std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite");
  ASSERT_TRUE(set) << set.error().describe();
  auto analyses = analyze_all(*set);
  const auto& v19 = analyses.back();
  ASSERT_EQ(v19.version, "19");
  EXPECT_EQ(v19.statements[3].kind, "DROP TABLE (table rebuild of tasks)");
  EXPECT_EQ(v19.statements[3].migration_class, MigrationClass::kBreaking);
  EXPECT_EQ(v19.statements[4].kind, "ALTER TABLE RENAME TO (table rebuild of tasks)");
  // The view is dropped and recreated unchanged in the same migration.
  EXPECT_EQ(v19.statements[2].kind, "DROP VIEW");
  EXPECT_EQ(v19.statements[2].migration_class, MigrationClass::kAdditive);
  EXPECT_EQ(rule_ids(v19),
            (std::vector<std::string>{"sqlite-set-not-null", "sqlite-table-rebuild"}));
}

TEST(SqliteAnalysis, KratosCorpusAnalysesInOrderWithoutError) {
  auto rows = testing::read_kratos_manifest("sqlite");
  testing::TestWorkspace ws;
  std::filesystem::create_directories(ws.migrations());
  testing::link_kratos_corpus(ws, "sqlite", rows);
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set) << set.error().describe();
  ASSERT_EQ(set->migrations.size(), 694u);
  std::vector<MigrationAnalysis> analyses;
  ASSERT_NO_THROW(analyses = analyze_all(*set));
  ASSERT_EQ(analyses.size(), 694u);
  for (const auto& a : analyses)
    for (const auto& s : a.statements)
      EXPECT_EQ(s.kind.find("unknown"), std::string::npos) << a.file << ": " << s.kind;
}

// ADD COLUMN re-reads only its table's row (the other ALTER TABLE forms re-read the catalog):
// each statement below is told apart only if the one before it left the right schema, e.g. the
// RENAME COLUMN of a column just added would look like an ADD COLUMN to a stale copy.
TEST(SqliteAnalysis, AddColumnLeavesTheSchemaAsTheCatalogHasIt) {
  auto a =
      analyze_sql({"CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n"
                   "CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t(id));\n"
                   "CREATE VIEW v AS SELECT a FROM t;",
                   "ALTER TABLE t ADD COLUMN c TEXT;\n"
                   "ALTER TABLE t RENAME COLUMN c TO d;\n"
                   "ALTER TABLE t ADD COLUMN e TEXT;\n"
                   "ALTER TABLE t RENAME COLUMN a TO a2;\n"
                   "ALTER TABLE t DROP COLUMN d;\n"
                   "ALTER TABLE child ADD COLUMN note TEXT;\n"
                   "ALTER TABLE child RENAME COLUMN note TO remark;\n"
                   "ALTER TABLE t RENAME TO t2;"});
  const auto& m = a.back();
  EXPECT_EQ(kinds(m),
            (std::vector<std::string>{"ALTER TABLE ADD COLUMN", "ALTER TABLE RENAME COLUMN",
                                      "ALTER TABLE ADD COLUMN", "ALTER TABLE RENAME COLUMN",
                                      "ALTER TABLE DROP COLUMN", "ALTER TABLE ADD COLUMN",
                                      "ALTER TABLE RENAME COLUMN", "ALTER TABLE RENAME TO"}));
}

// The reader names the table in its PRAGMA statements as a string literal: a quote in the name
// must not cut it short (the columns would not be read, and the RENAME look like an ADD).
TEST(SqliteAnalysis, TableNamesWithQuotesAreReadLikeAnyOther) {
  auto a = analyze_sql({"CREATE TABLE \"o'k\" (id INTEGER PRIMARY KEY);",
                        "ALTER TABLE \"o'k\" ADD COLUMN c TEXT;\n"
                        "ALTER TABLE \"o'k\" RENAME COLUMN c TO d;"});
  EXPECT_EQ(kinds(a.back()),
            (std::vector<std::string>{"ALTER TABLE ADD COLUMN", "ALTER TABLE RENAME COLUMN"}));
}

TEST(SqliteAnalysis, AlterTableKindsComeFromTheSchemaBeforeAndAfter) {
  auto a = analyze_sql({"CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);",
                        "ALTER TABLE t ADD COLUMN c TEXT;\n"
                        "ALTER TABLE t RENAME COLUMN a TO a2;\n"
                        "ALTER TABLE t DROP COLUMN b;\n"
                        "ALTER TABLE t RENAME TO t2;"});
  const auto& m = a.back();
  EXPECT_EQ(kinds(m),
            (std::vector<std::string>{"ALTER TABLE ADD COLUMN", "ALTER TABLE RENAME COLUMN",
                                      "ALTER TABLE DROP COLUMN", "ALTER TABLE RENAME TO"}));
  EXPECT_EQ(m.statements[0].migration_class, MigrationClass::kAdditive);
  EXPECT_EQ(m.statements[1].migration_class, MigrationClass::kBreaking);
  EXPECT_EQ(m.statements[2].migration_class, MigrationClass::kBreaking);
  EXPECT_TRUE(m.statements[2].rewrites_table);
  EXPECT_EQ(m.statements[3].migration_class, MigrationClass::kBreaking);
  ASSERT_EQ(m.statements[0].locks.size(), 1u);
  EXPECT_EQ(m.statements[0].locks[0].relation, "t");
  EXPECT_EQ(m.statements[0].locks[0].level, LockLevel::kDatabaseWrite);
}

TEST(SqliteAnalysis, WritesClassifyByWhetherTheTableExistedBeforeTheMigration) {
  auto a = analyze_sql({"CREATE TABLE old (id INTEGER PRIMARY KEY, v TEXT);",
                        "CREATE TABLE fresh (id INTEGER PRIMARY KEY, v TEXT);\n"
                        "INSERT INTO fresh (v) VALUES ('x');\n"
                        "UPDATE old SET v = 'y';\n"
                        "CREATE INDEX idx_old_v ON old (v);"});
  const auto& m = a.back();
  EXPECT_EQ(m.statements[0].migration_class, MigrationClass::kAdditive);
  EXPECT_EQ(m.statements[1].migration_class, MigrationClass::kAdditive);
  EXPECT_EQ(m.statements[2].migration_class, MigrationClass::kDataBackfill);
  EXPECT_EQ(m.statements[3].kind, "CREATE INDEX");
  EXPECT_EQ(m.statements[3].migration_class, MigrationClass::kAdditive);
  EXPECT_TRUE(m.statements[3].scans_table);
  EXPECT_EQ(m.inferred_class, MigrationClass::kDataBackfill);
}

TEST(SqliteAnalysis, RebuildKeepingEveryColumnIsBackwardCompatible) {
  auto a = analyze_sql({"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);",
                        "CREATE TABLE new_t (id INTEGER PRIMARY KEY, v TEXT NOT NULL DEFAULT '');\n"
                        "INSERT INTO new_t (id, v) SELECT id, coalesce(v, '') FROM t;\n"
                        "DROP TABLE t;\n"
                        "ALTER TABLE new_t RENAME TO t;"});
  const auto& m = a.back();
  EXPECT_EQ(m.inferred_class, MigrationClass::kBackwardCompatible);
  EXPECT_EQ(m.statements[2].kind, "DROP TABLE (table rebuild of t)");
  EXPECT_TRUE(m.statements[1].rewrites_table);
}

TEST(SqliteAnalysis, CopyAsideRebuildIsRecognisedToo) {
  auto a = analyze_sql({"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, gone TEXT);",
                        "CREATE TABLE t_backup AS SELECT id, v FROM t;\n"
                        "DROP TABLE t;\n"
                        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n"
                        "INSERT INTO t (id, v) SELECT id, v FROM t_backup;\n"
                        "DROP TABLE t_backup;"});
  const auto& m = a.back();
  EXPECT_EQ(m.statements[1].kind, "DROP TABLE (table rebuild of t)");
  EXPECT_EQ(m.inferred_class, MigrationClass::kBreaking);  // drops `gone`
  EXPECT_EQ(m.statements[4].migration_class, MigrationClass::kAdditive);
}

TEST(SqliteAnalysis, DropWithoutCopyingTheRowsIsBreaking) {
  auto a = analyze_sql({"CREATE TABLE t (id INTEGER PRIMARY KEY);",
                        "DROP TABLE t;\nCREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"});
  EXPECT_EQ(a.back().statements[0].kind, "DROP TABLE");
  EXPECT_EQ(a.back().inferred_class, MigrationClass::kBreaking);
}

TEST(SqliteAnalysis, TriggerOnAnExistingTableIsBackwardCompatible) {
  auto a =
      analyze_sql({"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n"
                   "CREATE TABLE log (v TEXT);",
                   "CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES "
                   "(NEW.v); END;"});
  EXPECT_EQ(a.back().statements[0].kind, "CREATE TRIGGER");
  EXPECT_EQ(a.back().inferred_class, MigrationClass::kBackwardCompatible);
}

TEST(SqliteAnalysis, StatementsOnTablesNeverCreatedAreSkippedNotFailed) {
  auto a =
      analyze_sql({"ALTER TABLE orders ADD COLUMN note TEXT;\n"
                   "UPDATE orders SET note = '';\n"
                   "DROP TABLE legacy;\n"
                   "CREATE TABLE fresh (id INTEGER PRIMARY KEY);"});
  const auto& m = a.back();
  const std::string unknown = "unknown (refers to tables not created in these migrations)";
  EXPECT_EQ(kinds(m), (std::vector<std::string>{unknown, unknown, unknown, "CREATE TABLE"}));
  EXPECT_EQ(m.statements[1].migration_class, MigrationClass::kDataBackfill);
  EXPECT_EQ(m.statements[2].migration_class, MigrationClass::kBreaking);
  EXPECT_TRUE(m.findings.empty());
}

TEST(SqliteAnalysis, AStatementSqliteRefusesForAnotherReasonFailsTheAnalysis) {
  std::vector<Migration> ms{testing::make_migration(
      "1", "m", "CREATE TABLE t (id INTEGER PRIMARY KEY);\nALTER TABLE t ADD COLUMN id TEXT;")};
  std::vector<const Migration*> ptrs{&ms[0]};
  auto result = analyze_migrations(ptrs, sqlite_options());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(result.error().where.statement, 2);
  EXPECT_EQ(result.error().where.line, 2);
  EXPECT_NE(result.error().message.find("duplicate column name"), std::string::npos);
}

TEST(SqliteAnalysis, TargetVersionDefaultsToTheLinkedLibrary) {
  // 150000 is the PostgreSQL default: read as "unknown", so DROP COLUMN is not flagged.
  auto a = analyze_sql(
      {"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);", "ALTER TABLE t DROP COLUMN v;"});
  for (const auto& id : rule_ids(a.back())) EXPECT_NE(id, "sqlite-version-gated");
  AnalysisOptions old = sqlite_options();
  old.server_version_num = 3'031'001;
  auto b = analyze_sql(
      {"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);", "ALTER TABLE t DROP COLUMN v;"}, old);
  // A DROP COLUMN in a migration without a phase is also refused as breaking outside a contract.
  EXPECT_EQ(rule_ids(b.back()),
            (std::vector<std::string>{"sqlite-drop-column", "sqlite-version-gated",
                                      "breaking-outside-contract"}));
}

}  // namespace
}  // namespace migrate
