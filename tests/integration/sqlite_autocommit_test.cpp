// `-- migrate:transaction off`: statements run one by one in autocommit, with a pending history
// row and a statement index, so a failed run resumes at the failed statement.
#include <gtest/gtest.h>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::TestWorkspace;

Options options_for(const TestWorkspace& ws) {
  Options o;
  o.database_url = ws.database_url();
  o.migrations_dir = ws.migrations();
  return o;
}

TEST(SqliteAutocommitTest, VacuumRunsOutsideATransaction) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER);\n");
  ws.write_migration("V2__vacuum.up.sql", "-- migrate:transaction off\nVACUUM;\n");
  Migrator m(options_for(ws));
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
  RunReport r = Migrator(options_for(ws)).apply(std::nullopt);
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
  Migrator m(options_for(ws));
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
    Options direct = options_for(ws);
    direct.migrations_dir = fix.migrations();
    direct.history_table = "scratch_history";
    ASSERT_FALSE(Migrator(direct).apply(std::nullopt).error);
  }
  Options retry = options_for(ws);
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
