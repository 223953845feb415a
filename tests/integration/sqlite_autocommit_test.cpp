// `-- migrate:transaction off`: statements run one by one in autocommit, with a pending history
// row and a statement index, so a failed run resumes at the failed statement.
#include <gtest/gtest.h>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::TestWorkspace;

TEST(SqliteAutocommitTest, VacuumRunsOutsideATransaction) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER);\n");
  ws.write_migration("V2__vacuum.up.sql", "-- migrate:transaction off\nVACUUM;\n");
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT transactional, success, statement_index FROM migrate_history "
                         "WHERE version = '2'"),
            std::vector<std::string>{"0|1|1"});
}

TEST(SqliteAutocommitTest, VacuumInATransactionalMigrationFailsCleanly) {
  TestWorkspace ws;
  ws.write_migration("V1__vacuum.up.sql", "VACUUM;\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kStatementFailed);
  EXPECT_NE(r.error->message.find("VACUUM"), std::string::npos);
}

TEST(SqliteAutocommitTest, AFailedStepResumesAtTheFailedStatementWithRetryFailed) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER);\n");
  ws.write_migration("V2__steps.up.sql",
                     "-- migrate:transaction off\n"
                     "INSERT INTO t VALUES (1);\n"
                     "INSERT INTO t VALUES (2);\n"
                     "INSERT INTO missing_table VALUES (3);\n"
                     "INSERT INTO t VALUES (4);\n");
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->where.statement, 3);
  EXPECT_NE(r.error->hint.find("first 2 statement(s) stay applied"), std::string::npos);
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT id FROM t ORDER BY id"),
            (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(
      query_sqlite(ws.database(),
                   "SELECT success, statement_index FROM migrate_history WHERE version = '2'"),
      std::vector<std::string>{"0|2"});
  for (const auto& s : *m.status())
    if (s.version == "2") {
      EXPECT_EQ(s.state, State::kFailed);
    }

  // The operator creates the missing table outside this migration set (here through a second
  // set with its own history table); the retry resumes at statement 3, so rows 1 and 2 are not
  // inserted twice.
  {
    TestWorkspace fix;
    fix.write_migration("V1__create_missing.up.sql", "CREATE TABLE missing_table (id INTEGER);\n");
    Options direct = ws.options();
    direct.migrations_dir = fix.migrations();
    direct.history_table = "scratch_history";
    direct.new_history = true;  // a second history beside the first, on purpose
    ASSERT_FALSE(Migrator(direct).apply(std::nullopt).error);
  }
  Options retry = ws.options();
  retry.retry_failed = true;
  auto plan = Migrator(retry).plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 1u);
  EXPECT_EQ(plan->steps[0].resume_from, 2);
  RunReport again = Migrator(retry).apply(std::nullopt);
  ASSERT_FALSE(again.error) << again.error->describe();
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT id FROM t ORDER BY id"),
            (std::vector<std::string>{"1", "2", "4"}));
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT id FROM missing_table"),
            std::vector<std::string>{"3"});
  EXPECT_EQ(
      query_sqlite(
          ws.database(),
          "SELECT success, statement_index FROM migrate_history WHERE version = '2' ORDER BY id"),
      (std::vector<std::string>{"0|2", "1|4"}));
}

}  // namespace
}  // namespace migrate

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::schema_of;
using testing::TestWorkspace;

constexpr const char* kSteps =
    "-- migrate:transaction off\n"
    "CREATE TABLE t (id INTEGER);\n"
    "INSERT INTO t VALUES (1);\n"
    "INSERT INTO t VALUES (nope);\n"
    "INSERT INTO t VALUES (3);\n";

TEST(SqliteAutocommitRetryTest, FixingOnlyTheFailedStatementResumesAfterTheCompletedOnes) {
  TestWorkspace ws;
  ws.write_migration("V1__steps.up.sql", kSteps);
  RunReport first = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_TRUE(first.error);
  EXPECT_EQ(first.error->where.statement, 3);
  ASSERT_EQ(first.steps.size(), 1u);
  EXPECT_EQ(first.steps[0].name, "steps");
  EXPECT_EQ(first.steps[0].statements_run, 2);
  EXPECT_FALSE(first.steps[0].success);
  EXPECT_NE(first.error->hint.find("first 2 statement(s) stay applied"), std::string::npos);

  std::string fixed = kSteps;
  fixed.replace(fixed.find("nope"), 4, "2");
  ws.write_migration("V1__steps.up.sql", fixed);
  RunReport retry = Migrator(ws.options(true)).apply(std::nullopt);
  ASSERT_FALSE(retry.error) << retry.error->describe();
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT id FROM t ORDER BY id"),
            (std::vector<std::string>{"1", "2", "3"}));
}

TEST(SqliteAutocommitRetryTest, ChangingAStatementThatAlreadyRanIsRefused) {
  TestWorkspace ws;
  ws.write_migration("V1__steps.up.sql", kSteps);
  ASSERT_TRUE(Migrator(ws.options()).apply(std::nullopt).error);
  std::string changed = kSteps;
  changed.replace(changed.find("VALUES (1)"), 10, "VALUES (9)");
  ws.write_migration("V1__steps.up.sql", changed);
  RunReport retry = Migrator(ws.options(true)).apply(std::nullopt);
  ASSERT_TRUE(retry.error);
  EXPECT_EQ(retry.error->code, ErrorCode::kFailedMigration);
  EXPECT_NE(retry.error->message.find("the first 2 statement(s)"), std::string::npos);
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT id FROM t ORDER BY id"),
            std::vector<std::string>{"1"});
}

TEST(SqliteAutocommitRetryTest, ForeignKeyCheckStillRunsWithoutATransaction) {
  TestWorkspace ws;
  ws.write_migration("V1__tables.up.sql",
                     "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
                     "CREATE TABLE c (id INTEGER, p_id INTEGER REFERENCES p(id));\n");
  ws.write_migration("V2__orphan.up.sql",
                     "-- migrate:transaction off\nINSERT INTO c VALUES (1, 42);\n");
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->sqlstate, "FOREIGN_KEY_VIOLATION");
  for (const auto& s : *m.status()) {
    if (s.version == "2") {
      EXPECT_EQ(s.state, State::kFailed);
      EXPECT_NE(describe_stop(*s.last_attempt).find("failed at commit, after statement 1"),
                std::string::npos);
    }
  }
}

// Refused when planned: the statement before it, which would run on its own, does not run either.
TEST(SqliteAutocommitRetryTest, TransactionControlIsRefusedWithoutATransactionToo) {
  TestWorkspace ws;
  ws.write_migration("V1__own.up.sql",
                     "-- migrate:transaction off\nCREATE TABLE before (id INTEGER);\nEND;\n"
                     "CREATE TABLE x (id INTEGER);\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(r.error->where.statement, 2);
  EXPECT_EQ(r.error->where.line, 3);
  EXPECT_EQ(r.error->where.column, 1);
  EXPECT_NE(r.error->message.find("transaction control"), std::string::npos);
  EXPECT_EQ(schema_of(ws.database()), std::vector<std::string>{});
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM sqlite_master WHERE name = 'migrate_history'"),
            std::vector<std::string>{"0"});
}

}  // namespace
}  // namespace migrate
