// Rollback on real SQLite files: targets, steps, and the refusals that happen before anything.
#include <gtest/gtest.h>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::schema_of;
using testing::TestWorkspace;

const std::filesystem::path kDemo =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite";

std::vector<std::string> applied_versions(Migrator& m) {
  std::vector<std::string> out;
  for (const auto& s : *m.status())
    if (s.state == State::kApplied) out.push_back(s.version);
  return out;
}

std::size_t history_count(const TestWorkspace& ws) {
  return query_sqlite(ws.database(), "SELECT id FROM migrate_history").size();
}

TEST(SqliteRollbackTest, RollbackToTargetRestoresTheSchemaOfThatVersion) {
  TestWorkspace reference;
  reference.copy_migrations_from(kDemo);
  ASSERT_FALSE(Migrator(reference.options()).apply(std::string("V012")).error);

  TestWorkspace ws;
  ws.copy_migrations_from(kDemo);
  // The demo has two expand/contract pairs (V010/V018, V017/V019): a scratch database no deployed
  // code uses runs and reverts them together.
  Options all_phases = ws.options();
  all_phases.phase = PhaseScope::kAll;
  Migrator m(all_phases);
  RunReport up = m.apply(std::nullopt);
  ASSERT_FALSE(up.error) << up.error->describe();
  RunReport down = m.rollback(RollbackTarget{std::string("12"), std::nullopt});
  ASSERT_FALSE(down.error) << down.error->describe();
  EXPECT_EQ(down.steps.size(), 7u);
  EXPECT_EQ(down.steps.front().version, "19");  // newest first
  EXPECT_EQ(down.steps.back().version, "13");
  EXPECT_EQ(schema_of(ws.database()), schema_of(reference.database()));
  auto applied = applied_versions(m);
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.back(), "12");  // the target stays applied

  // Up again reaches the same schema as a straight apply.
  TestWorkspace straight;
  straight.copy_migrations_from(kDemo);
  Options straight_options = straight.options();
  straight_options.phase = PhaseScope::kAll;
  ASSERT_FALSE(Migrator(straight_options).apply(std::nullopt).error);
  ASSERT_FALSE(m.apply(std::nullopt).error);
  EXPECT_EQ(schema_of(ws.database()), schema_of(straight.database()));
}

TEST(SqliteRollbackTest, RollbackRefusesBeforeDoingAnythingWhenAMigrationInRangeIsIrreversible) {
  TestWorkspace ws;
  ws.copy_migrations_from(kDemo);
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  auto schema = schema_of(ws.database());
  auto rows = history_count(ws);
  auto plan = m.plan_rollback(RollbackTarget{std::string("5"), std::nullopt});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::kIrreversible);
  RunReport r = m.rollback(RollbackTarget{std::string("5"), std::nullopt});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kIrreversible);
  EXPECT_NE(r.error->message.find("V009__purge_soft_deleted_comments.up.sql"), std::string::npos);
  EXPECT_TRUE(r.steps.empty());
  EXPECT_EQ(schema_of(ws.database()), schema);
  EXPECT_EQ(history_count(ws), rows);
}

TEST(SqliteRollbackTest, RollbackRefusesWhenADownFileChangedSinceApply) {
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V1__a.down.sql", "DROP TABLE a;\n");
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  ws.write_migration("V2__b.down.sql", "DROP TABLE b;\n");
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  ws.write_migration("V1__a.down.sql", "DROP TABLE a;\nDROP TABLE IF EXISTS z;\n");
  RunReport r = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kChecksumMismatch);
  EXPECT_NE(r.error->message.find("V1__a.down.sql"), std::string::npos);
  EXPECT_EQ(applied_versions(m),
            (std::vector<std::string>{"1", "2"}));  // V2 was not reverted either
}

TEST(SqliteRollbackTest, StepsRevertsTheNewestAndTargetZeroRevertsEverything) {
  TestWorkspace ws;
  for (int v = 1; v <= 4; ++v) {
    ws.write_migration("V" + std::to_string(v) + "__t.up.sql",
                       "CREATE TABLE t" + std::to_string(v) + " (id INTEGER);\n");
    ws.write_migration("V" + std::to_string(v) + "__t.down.sql",
                       "DROP TABLE t" + std::to_string(v) + ";\n");
  }
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  RunReport two = m.rollback(RollbackTarget{std::nullopt, 2});
  ASSERT_FALSE(two.error);
  EXPECT_EQ(applied_versions(m), (std::vector<std::string>{"1", "2"}));
  RunReport all = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_FALSE(all.error);
  EXPECT_TRUE(applied_versions(m).empty());
  EXPECT_TRUE(schema_of(ws.database()).empty());
  // The log keeps every attempt: 4 ups, 4 downs (plus the init row).
  EXPECT_EQ(
      query_sqlite(
          ws.database(),
          "SELECT direction, count(*) FROM migrate_history GROUP BY direction ORDER BY direction"),
      (std::vector<std::string>{"down|4", "init|1", "up|4"}));
}

TEST(SqliteRollbackTest, AFailingDownFileLeavesThatMigrationAppliedAndRecordsTheFailure) {
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V1__a.down.sql", "DROP TABLE a;\n");
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  ws.write_migration("V2__b.down.sql", "DROP TABLE b;\nDROP TABLE does_not_exist;\n");
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  auto schema = schema_of(ws.database());
  RunReport r = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kStatementFailed);
  EXPECT_EQ(r.error->where.statement, 2);
  EXPECT_EQ(schema_of(ws.database()), schema);  // table b is still there: the down rolled back
  EXPECT_EQ(applied_versions(m), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(query_sqlite(
                ws.database(),
                "SELECT version, direction, success FROM migrate_history WHERE direction = 'down'"),
            std::vector<std::string>{"2|down|0"});
}

const Finding* finding_of(const PlannedStep& step, const std::string& rule,
                          const std::string& text) {
  if (!step.analysis) return nullptr;
  for (const auto& f : step.analysis->findings)
    if (f.rule_id == rule && f.message.find(text) != std::string::npos) return &f;
  return nullptr;
}

class SqliteDownAnalysisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY, note TEXT);\n");
    ws.write_migration("V1__a.down.sql", "DROP TABLE a;\n");
    ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\nINSERT INTO b VALUES (1);\n");
    ws.write_migration("V2__b.down.sql", "ALTER TABLE a DROP COLUMN note;\nDROP TABLE b;\n");
  }
  // After the test's own down files: their checksums are pinned when applied.
  void apply() { ASSERT_FALSE(Migrator(ws.options()).apply(std::nullopt).error); }
  TestWorkspace ws;
};

// Each down file's class and findings, as apply plans show an up file's: what a rollback loses
// is a warning, also for a table its own up file created, and does not stop the rollback.
TEST_F(SqliteDownAnalysisTest, ARollbackPlanShowsEachDownFilesDataLoss) {
  apply();
  Migrator m(ws.options());
  auto plan = m.plan_rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 2u);
  EXPECT_FALSE(plan->refusal);
  const PlannedStep& v2 = plan->steps[0];
  ASSERT_TRUE(v2.analysis);
  EXPECT_NE(v2.analysis->file.find("V2__b.down.sql"), std::string::npos);
  EXPECT_EQ(v2.analysis->inferred_class, MigrationClass::kBreaking);
  const Finding* table = finding_of(v2, "rollback-data-loss", "drops table b");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->severity, Severity::kWarning);
  EXPECT_NE(table->message.find("its up file created the table"), std::string::npos);
  EXPECT_EQ(table->where.line, 2);
  EXPECT_NE(table->where.file.find("V2__b.down.sql"), std::string::npos);
  const Finding* column = finding_of(v2, "rollback-data-loss", "drops column a.note");
  ASSERT_NE(column, nullptr);
  EXPECT_EQ(column->where.line, 1);
  ASSERT_NE(finding_of(plan->steps[1], "rollback-data-loss", "drops table a"), nullptr);
  RunReport r = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_TRUE(schema_of(ws.database()).empty());
}

// As in apply: refused as a whole before the first revert, with nothing recorded.
TEST_F(SqliteDownAnalysisTest, TransactionControlInADownFileIsRefusedBeforeAnythingIsReverted) {
  ws.write_migration("V1__a.down.sql", "DROP TABLE a;\nRELEASE s;\n");
  apply();
  Migrator m(ws.options());
  const auto schema = schema_of(ws.database());
  const std::size_t rows = history_count(ws);
  RunReport r = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kSourceInvalid) << r.error->describe();
  EXPECT_NE(r.error->where.file.find("V1__a.down.sql"), std::string::npos);
  EXPECT_EQ(r.error->where.line, 2);
  EXPECT_EQ(r.error->where.column, 1);
  EXPECT_NE(r.error->message.find("to roll back"), std::string::npos);
  EXPECT_EQ(schema_of(ws.database()), schema);  // V2 was not reverted either
  EXPECT_EQ(history_count(ws), rows);
  auto plan = m.plan_rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(plan);
  ASSERT_TRUE(plan->refusal);
  EXPECT_EQ(plan->refusal->code, ErrorCode::kSourceInvalid);
}

// The down files pass the same gate as up files, with the same escape.
TEST_F(SqliteDownAnalysisTest, AnErrorLevelFindingOfADownFileIsRefusedUnlessAllowed) {
  ws.write_migration("V2__b.down.sql", "-- migrate:allow sqlite-drop-column\nDROP TABLE b;\n");
  apply();
  Migrator m(ws.options());
  const std::size_t rows = history_count(ws);
  RunReport r = m.rollback(RollbackTarget{std::nullopt, 1});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kUnsafeMigration) << r.error->describe();
  EXPECT_NE(r.error->message.find("nothing was rolled back"), std::string::npos);
  EXPECT_NE(r.error->message.find("suppression-without-reason"), std::string::npos);
  EXPECT_EQ(history_count(ws), rows);
  Options unsafe = ws.options();
  unsafe.allow_unsafe = true;
  RunReport allowed = Migrator(unsafe).rollback(RollbackTarget{std::nullopt, 1});
  ASSERT_FALSE(allowed.error) << allowed.error->describe();
  EXPECT_EQ(applied_versions(m), std::vector<std::string>{"1"});
}

}  // namespace
}  // namespace migrate
