// The round-trip check against sql_fixtures/check_rollback/: each set is checked with --all on a
// real SQLite file and a real PostgreSQL server, and what the check reports (each migration's
// outcome, every object named as left behind, missing or changed, the errors) must be what the
// folder's expected.txt says, no more and no less.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"
#include "tests/rollback_check/round_trip_expectations.hpp"

namespace migrate {
namespace {

namespace fs = std::filesystem;
using testing::TestWorkspace;

std::vector<fs::path> cases(const std::string& dialect) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(MIGRATE_SOURCE_DIR) / "sql_fixtures" /
                                              "check_rollback" / dialect))
    if (e.is_directory()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// A copy of the case's migrations, without its expected.txt.
void copy_case(const fs::path& from, const TestWorkspace& ws) {
  fs::create_directories(ws.migrations());
  for (const auto& e : fs::directory_iterator(from))
    if (e.path().extension() == ".sql")
      fs::copy_file(e.path(), ws.migrations() / e.path().filename());
}

TEST(RollbackCheckFixtures, SqliteCasesReportExactlyWhatTheirDownsGetWrong) {
  const auto all = cases("sqlite");
  ASSERT_GE(all.size(), 4u);
  for (const auto& dir : all) {
    SCOPED_TRACE(dir.filename().string());
    TestWorkspace ws;
    copy_case(dir, ws);
    Migrator migrator(ws.options());
    RollbackCheckOptions check;
    check.all = true;
    auto report = migrator.check_rollback(check);
    ASSERT_TRUE(report) << report.error().describe();
    expect_round_trips(*report, dir / "expected.txt");
    EXPECT_TRUE(report->scratch_removed);
    EXPECT_FALSE(fs::exists(report->scratch_database)) << report->scratch_database;
    // --all reads nothing of the target: a SQLite file that did not exist still does not.
    EXPECT_FALSE(fs::exists(ws.database()));
  }
}

TEST(RollbackCheckFixtures, PostgresCasesReportExactlyWhatTheirDownsGetWrong) {
  MIGRATE_REQUIRE_POSTGRES(db);
  const auto all = cases("postgres");
  ASSERT_GE(all.size(), 6u);
  for (const auto& dir : all) {
    SCOPED_TRACE(dir.filename().string());
    TestWorkspace ws;
    copy_case(dir, ws);
    Options o = ws.options();
    o.database_url = db->url();
    RollbackCheckOptions check;
    check.all = true;
    auto report = Migrator(o).check_rollback(check);
    ASSERT_TRUE(report) << report.error().describe();
    expect_round_trips(*report, dir / "expected.txt");
    EXPECT_TRUE(report->scratch_removed);
    EXPECT_EQ(db->query(own_scratch_databases_sql()), std::vector<std::string>{"0"});
    // The target was only read: no table, no history.
    EXPECT_EQ(db->query("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                        "c.relnamespace WHERE n.nspname = 'public'"),
              std::vector<std::string>{"0"});
  }
}

}  // namespace
}  // namespace migrate
