// The SQLite backend describes each statement from SQLite itself (prepare + authorizer on the
// live connection), so the tables it touches reach catalog_facts and the analyzer gets their row
// counts: ALTER TABLE ... ADD COLUMN that SQLite refuses only on a table with rows is accepted on
// an existing empty table and still refused on a non-empty one.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::TestWorkspace;

constexpr const char* kRule = "sqlite-add-column-restrictions";

class SqliteRowCountsTest : public ::testing::Test {
 protected:
  // V001 creates the table (with `rows` rows) and is applied; V002 adds a column that SQLite
  // adds only to an empty table (NOT NULL with a non-constant default).
  void prepare(int rows) {
    std::string v1 = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);\n";
    for (int i = 0; i < rows; ++i) v1 += "INSERT INTO t (name) VALUES ('row');\n";
    ws.write_migration("V001__t.up.sql", v1);
    Migrator m(ws.options());
    RunReport first = m.apply(std::nullopt);
    ASSERT_FALSE(first.error) << first.error->describe();
    ws.write_migration("V002__t_created_at.up.sql",
                       "ALTER TABLE t ADD COLUMN created_at TEXT NOT NULL DEFAULT "
                       "CURRENT_TIMESTAMP;\n");
  }
  static std::vector<std::string> rule_ids(const PlannedStep& step) {
    std::vector<std::string> out;
    if (!step.analysis) return out;
    for (const auto& f : step.analysis->findings) out.push_back(f.rule_id);
    return out;
  }
  TestWorkspace ws;
};

TEST_F(SqliteRowCountsTest, ThePlanNamesTheTablesSqliteReports) {
  prepare(0);
  auto plan = Migrator(ws.options()).plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 1u);
  ASSERT_EQ(plan->steps[0].statements.size(), 1u);
  EXPECT_EQ(plan->steps[0].statements[0].relations, std::vector<std::string>{"t"});
  EXPECT_FALSE(plan->steps[0].statements[0].takes_relation_lock);
  EXPECT_TRUE(plan->steps[0].analysis);
  auto ids = rule_ids(plan->steps[0]);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), kRule), 0) << "the table is known to be empty";
}

TEST_F(SqliteRowCountsTest, AddingAColumnSqliteOnlyAddsToEmptyTablesIsAppliedToAnEmptyTable) {
  prepare(0);
  RunReport report = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_FALSE(report.error) << report.error->describe();
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM pragma_table_info('t') WHERE name = 'created_at'"),
            std::vector<std::string>{"1"});
}

TEST_F(SqliteRowCountsTest, AddingAColumnSqliteOnlyAddsToEmptyTablesIsRefusedOnATableWithRows) {
  prepare(2);
  Migrator m(ws.options());
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 1u);
  EXPECT_EQ(rule_ids(plan->steps[0]), std::vector<std::string>{kRule});

  RunReport report = m.apply(std::nullopt);
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, ErrorCode::kUnsafeMigration);
  EXPECT_NE(report.error->message.find(kRule), std::string::npos) << report.error->message;
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM pragma_table_info('t') WHERE name = 'created_at'"),
            std::vector<std::string>{"0"});
}

}  // namespace
}  // namespace migrate
