// A `transaction off` SQLite migration killed with -9 in the middle (issue 8): every statement
// commits together with its history update, and the file lock beside the database proves the
// killed run is gone, so the next apply resumes without --retry-failed and runs nothing twice.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <thread>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::column_of;
using testing::TestWorkspace;

TEST(SqliteInterruptedRun, KillDuringATransactionOffStepThenApplyResumesWithoutRetryFailed) {
  TestWorkspace ws;
  ws.write_migration("V1__log.up.sql", "CREATE TABLE log (id INTEGER PRIMARY KEY, note TEXT);\n");
  // The recursive count keeps statement 2 busy for a while (and the analysis before the run, which
  // runs it on a copy): the kill lands inside it.
  ws.write_migration("V2__fill.up.sql",
                     "-- migrate:transaction off\n"
                     "INSERT INTO log (note) VALUES ('first');\n"
                     "INSERT INTO log (note) SELECT 'slow ' || count(*) FROM (WITH RECURSIVE "
                     "c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) "
                     "SELECT x FROM c);\n"
                     "INSERT INTO log (note) VALUES ('last');\n");
  testing::MigrateProcess run(
      {"--db", ws.database_url(), "--dir", ws.migrations().string(), "--log-level", "off", "apply"},
      ws.root());
  bool in_slow_statement = false;
  for (int i = 0; i < 2400 && !in_slow_statement; ++i) {  // apply analyzes it first
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    in_slow_statement =
        column_of(ws.database(),
                  "SELECT statement_index FROM migrate_history WHERE version = '2' AND success "
                  "IS NULL") == std::vector<std::string>{"1"};
  }
  run.kill_now();
  ASSERT_TRUE(in_slow_statement) << "the run never reached its slow statement";

  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(column_of(ws.database(), "SELECT count(*) FROM log WHERE note = 'first'"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(column_of(ws.database(), "SELECT count(*) FROM log WHERE note LIKE 'slow %'"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(column_of(ws.database(), "SELECT count(*) FROM log WHERE note = 'last'"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(column_of(ws.database(),
                      "SELECT coalesce(success, 'NULL') || '|' || statement_index || '|' || "
                      "coalesce(error_code, '') FROM migrate_history WHERE version = '2' "
                      "ORDER BY id"),
            (std::vector<std::string>{"0|1|INTERRUPTED", "1|3|"}));
}

// A run killed inside a transactional step leaves a hot journal beside the database; the
// read-only commands must still read it (SQLite rolls the journal back on first read).
TEST(SqliteInterruptedRun, KillInsideATransactionLeavesAHotJournalThatStatusStillReads) {
  TestWorkspace ws;
  ws.write_migration("V1__log.up.sql", "CREATE TABLE log (id INTEGER PRIMARY KEY, note TEXT);\n");
  ws.write_migration("V2__slow.up.sql",
                     "INSERT INTO log (note) VALUES ('written before the slow part');\n"
                     "INSERT INTO log (note) SELECT 'slow ' || count(*) FROM (WITH RECURSIVE "
                     "c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) "
                     "SELECT x FROM c);\n");
  ASSERT_FALSE(Migrator(ws.options()).apply(std::string("1")).error);
  testing::MigrateProcess run(
      {"--db", ws.database_url(), "--dir", ws.migrations().string(), "--log-level", "off", "apply"},
      ws.root());
  const auto journal = std::filesystem::path(ws.database().string() + "-journal");
  bool writing = false;
  for (int i = 0; i < 2400 && !writing; ++i) {  // apply analyzes it first
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    writing = std::filesystem::exists(journal);
  }
  if (writing) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  run.kill_now();
  ASSERT_TRUE(writing) << "the run never started its write transaction";
  ASSERT_TRUE(std::filesystem::exists(journal));

  auto statuses = Migrator(ws.options()).status();
  ASSERT_TRUE(statuses) << statuses.error().describe();
  ASSERT_EQ(statuses->size(), 2u);
  EXPECT_EQ((*statuses)[1].state, State::kPending);
  EXPECT_EQ(column_of(ws.database(), "SELECT count(*) FROM log"), std::vector<std::string>{"0"});
}

}  // namespace
}  // namespace migrate
