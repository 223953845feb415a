// The analyzer over real and scenario migration sets: the whole Kratos PostgreSQL corpus lints
// without a parse error or crash, and the scenario sets get the classes their runbooks imply.
#include <gtest/gtest.h>

#include <set>

#include "libmigrate/sql/postgres_statement.hpp"
#include "migrate/analysis.hpp"
#include "support/kratos_corpus.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

// `last_pending`: analyse as `plan` does when every migration but the last is applied (lock
// findings on tables of earlier migrations count in full); else as `lint` does.
std::vector<MigrationAnalysis> analyze_dir(const std::filesystem::path& dir,
                                           const std::string& dialect, bool last_pending = false) {
  auto set = load_directory(dir);
  if (!set) throw std::runtime_error(set.error().describe());
  std::vector<const Migration*> list;
  for (const auto& m : set->migrations) list.push_back(&m);
  AnalysisOptions o;
  o.dialect = *parse_dialect(dialect == "postgres" ? "postgresql" : dialect);
  if (last_pending && !list.empty())
    o.pending_versions = std::set<std::string>{list.back()->version.str()};
  auto result = analyze_migrations(list, o);
  if (!result) throw std::runtime_error(result.error().describe());
  return *result;
}

// A scenario folder may hold a README next to its migrations; analyse only the SQL. The
// scenarios' runbooks apply the last migration to a database where the earlier ones ran.
std::vector<MigrationAnalysis> analyze_scenario(const std::string& name) {
  testing::TestWorkspace ws;
  auto dir = std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/scenarios" / name;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".sql")
      std::filesystem::copy_file(e.path(), ws.migrations() / e.path().filename());
  return analyze_dir(ws.migrations(), "postgresql", true);
}

TEST(AnalysisCorpus, EveryKratosPostgresMigrationLintsWithoutAParseError) {
  auto rows = testing::read_kratos_manifest("postgres");
  testing::TestWorkspace ws;
  testing::link_kratos_corpus(ws, "postgres", rows);
  auto analyses = analyze_dir(ws.migrations(), "postgresql");
  ASSERT_EQ(analyses.size(), 346u);
  std::size_t statements = 0, findings = 0;
  for (const auto& a : analyses) {
    statements += a.statements.size();
    findings += a.findings.size();
  }
  // Every statement is analysed: as many as PostgreSQL's parser splits the files into.
  std::size_t split = 0;
  auto set = load_directory(ws.migrations());
  for (const auto& m : set->migrations) split += split_postgres_statements(m.up.sql, {}).size();
  EXPECT_EQ(statements, split);
  EXPECT_GT(statements, 300u);
  EXPECT_GT(findings, 0u) << "a real history of 346 migrations without a single finding means the "
                             "rules are not running";
  // The concurrent index files are recognised as such.
  bool standalone = false;
  for (const auto& a : analyses)
    for (const auto& s : a.statements) standalone = standalone || !s.can_run_in_transaction;
  EXPECT_TRUE(standalone);
}

TEST(AnalysisCorpus, ScenarioS1IsBackwardCompatibleBecauseOfItsValidatingCheck) {
  auto a = analyze_scenario("s1_busy_table");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].inferred_class, MigrationClass::kAdditive);  // a new table and its seed rows
  EXPECT_EQ(a[1].inferred_class, MigrationClass::kBackwardCompatible);
  ASSERT_EQ(a[1].statements.size(), 4u);
  EXPECT_EQ(a[1].statements[0].migration_class,
            MigrationClass::kAdditive);  // non-volatile default: instant on 11+
  EXPECT_FALSE(a[1].statements[0].rewrites_table);
  EXPECT_FALSE(a[1].statements[1].can_run_in_transaction);  // CREATE INDEX CONCURRENTLY
  EXPECT_EQ(a[1].statements[1].locks.at(0).level, LockLevel::kShareUpdateExclusive);
  EXPECT_EQ(a[1].statements[2].locks.at(0).level, LockLevel::kAccessExclusive);
  EXPECT_TRUE(a[1].statements[2].scans_table);
  ASSERT_EQ(a[1].blocking().size(), 1u);
  EXPECT_EQ(a[1].blocking()[0]->rule_id, "check-validating");
}

TEST(AnalysisCorpus, ScenarioS4AddsANullableColumn) {
  auto a = analyze_scenario("s4_stalled_migration");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].inferred_class, MigrationClass::kAdditive);
  EXPECT_TRUE(a[1].blocking().empty());
  ASSERT_EQ(a[1].statements.size(), 1u);
  EXPECT_EQ(a[1].statements[0].locks.at(0).level, LockLevel::kAccessExclusive);
  EXPECT_FALSE(a[1].statements[0].rewrites_table);
}

}  // namespace
}  // namespace migrate
