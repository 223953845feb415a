// Batched backfills on SQLite (docs/backfills.md), end to end with the built `migrate`: the
// explicit form (`:batch_start`/`:batch_end`) walks the key in short transactions, each with its
// checkpoint in the history, so a run killed with -9 resumes at the next batch and no row is
// changed twice or skipped; a counting trigger proves it row by row.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::column_of;
using testing::CommandResult;
using testing::TestWorkspace;

constexpr int kRows = 20000;

std::string value_of(const std::filesystem::path& db, const std::string& sql) {
  auto rows = column_of(db, sql);
  return rows.empty() ? "<no row>" : rows.front();
}

void write_sql(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* c = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &c), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(c, sql.c_str(), nullptr, nullptr, &message);
  const std::string error = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(c);
  ASSERT_EQ(rc, SQLITE_OK) << error;
}

// V1: `t` with kRows rows (every tenth v NULL), `expected` a copy of it, and a trigger that
// records every row an UPDATE of t changes in `hits`.
const char* const kTables =
    "CREATE TABLE t (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, v INTEGER);\n"
    "INSERT INTO t (id, grp, v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    "WHERE i < 20000) SELECT i * 3, i % 7, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 97 END FROM "
    "n;\n"
    "CREATE TABLE expected AS SELECT * FROM t;\n"
    "CREATE TABLE hits (id INTEGER NOT NULL);\n"
    "CREATE TRIGGER t_hits AFTER UPDATE ON t BEGIN INSERT INTO hits (id) VALUES (new.id); END;\n";

class SqliteBackfillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws.write_migration("V1__tables.up.sql", kTables);
    RunReport r = Migrator(ws.options()).apply(std::nullopt);
    ASSERT_FALSE(r.error) << r.error->describe();
  }

  std::vector<std::string> args(std::vector<std::string> command) const {
    std::vector<std::string> out{
        "--db", ws.database_url(), "--dir", ws.migrations().string(), "--log-level", "info"};
    out.insert(out.end(), command.begin(), command.end());
    return out;
  }
  CommandResult migrate(std::vector<std::string> command) const {
    return testing::run_migrate(args(std::move(command)), ws.root());
  }
  std::string count(const std::string& sql) const { return value_of(ws.database(), sql); }
  std::string history_rows_of(const std::string& version) const {
    return count("SELECT count(*) FROM migrate_history WHERE version = '" + version + "'");
  }

  // t went through the change exactly as one UPDATE of `expected` does it, each row once.
  void expect_doubled_once() {
    write_sql(ws.database(), "UPDATE expected SET v = v * 2;");
    EXPECT_EQ(count("SELECT count(*) FROM t"), std::to_string(kRows));
    EXPECT_EQ(count("SELECT count(*) FROM t JOIN expected e USING (id) WHERE t.v IS e.v AND "
                    "t.grp = e.grp"),
              std::to_string(kRows));
    EXPECT_EQ(count("SELECT count(*) FROM hits"), std::to_string(kRows));
    EXPECT_EQ(count("SELECT count(DISTINCT id) FROM hits"), std::to_string(kRows));
  }

  TestWorkspace ws;
};

TEST_F(SqliteBackfillTest, ExplicitFormChangesEveryRowOnceInBatches) {
  ws.write_migration("V2__double.up.sql",
                     "-- migrate:backfill batch-size=500 pause=5ms\n"
                     "UPDATE t SET v = v * 2 WHERE id > :batch_start AND id <= :batch_end;\n");
  CommandResult plan = migrate({"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("backfill (explicit form)"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("batch size 500"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("expected batches: 40"), std::string::npos) << plan.out;

  CommandResult r = migrate({"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_doubled_once();
  // batch-size alone fixes the size: 40 batches of 500, as the plan says.
  EXPECT_NE(r.err.find("backfill of \"t\": 20000 of ~20000 rows (100%), 40 batches"),
            std::string::npos)
      << r.err;
  // The rows of the statement itself, not the trigger's inserts into hits.
  EXPECT_EQ(count("SELECT rows_affected FROM migrate_history_statements WHERE attempt_id = "
                  "(SELECT max(id) FROM migrate_history WHERE version = '2')"),
            std::to_string(kRows));

  EXPECT_EQ(count("SELECT group_concat(coalesce(success, 'NULL') || '|' || "
                  "coalesce(checkpoint, 'no checkpoint'), ';') FROM migrate_history WHERE "
                  "version = '2'"),
            "1|no checkpoint");
  CommandResult status = migrate({"status", "--output", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.out << status.err;
  const auto json = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << status.out;
  EXPECT_NE(status.out.find("\"applied\""), std::string::npos) << status.out;
}

TEST_F(SqliteBackfillTest, KilledMidwayResumesAtTheNextBatchAndChangesEachRowOnce) {
  ws.write_migration("V2__double.up.sql",
                     "-- migrate:backfill batch-size=50 pause=20ms\n"
                     "UPDATE t SET v = v * 2 WHERE id > :batch_start AND id <= :batch_end;\n");
  const std::string rows_so_far =
      "SELECT coalesce(json_extract(checkpoint, '$.backfill.rows'), 0) FROM migrate_history "
      "WHERE version = '2' AND success IS NULL ORDER BY id DESC LIMIT 1";
  {
    testing::MigrateProcess run(args({"apply"}), ws.root());
    bool in_backfill = false;
    for (int i = 0; i < 2400 && !in_backfill; ++i) {  // apply analyzes the migration first
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      auto rows = column_of(ws.database(), rows_so_far);
      in_backfill = !rows.empty() && rows[0] != "0";
    }
    run.kill_now();
    ASSERT_TRUE(in_backfill) << "the run never committed a batch";
  }
  const std::string done_before = count(rows_so_far);
  ASSERT_LT(std::stoi(done_before), kRows) << "the kill came after the last batch";
  // batch-size alone fixes the size: whole batches of 50 committed.
  EXPECT_EQ(std::stoi(done_before) % 50, 0) << done_before;
  // Each committed batch's rows, and only those, went through the trigger.
  EXPECT_EQ(count("SELECT count(*) FROM hits"), done_before);

  CommandResult status = migrate({"status"});
  EXPECT_NE(status.out.find("backfill of \"t\" (statement 1): " + done_before + " of ~20000 rows"),
            std::string::npos)
      << status.out << status.err;
  CommandResult json_status = migrate({"status", "--output", "json"});
  EXPECT_NE(json_status.out.find("\"rows_done\": " + done_before), std::string::npos)
      << json_status.out;

  CommandResult again = migrate({"apply"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.err.find("resumes after key"), std::string::npos) << again.err;
  expect_doubled_once();
  EXPECT_EQ(count("SELECT group_concat(coalesce(success, 'NULL'), ',') FROM (SELECT success FROM "
                  "migrate_history WHERE version = '2' ORDER BY id)"),
            "0,1");
}

TEST_F(SqliteBackfillTest, ResumesAfterTheBatchSizeChanged) {
  const std::string update =
      "UPDATE t SET v = v * 2 WHERE id > :batch_start AND id <= :batch_end;\n";
  ws.write_migration("V2__double.up.sql",
                     "-- migrate:backfill batch-size=50 pause=20ms\n" + update);
  {
    testing::MigrateProcess run(args({"apply"}), ws.root());
    bool in_backfill = false;
    for (int i = 0; i < 2400 && !in_backfill; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      auto rows = column_of(ws.database(),
                            "SELECT json_extract(checkpoint, '$.backfill.rows') FROM "
                            "migrate_history WHERE version = '2' AND success IS NULL");
      in_backfill = !rows.empty() && rows[0] != "NULL" && rows[0] != "0";
    }
    run.kill_now();
    ASSERT_TRUE(in_backfill) << "the run never committed a batch";
  }
  ws.write_migration("V2__double.up.sql", "-- migrate:backfill batch-size=3000\n" + update);
  CommandResult again = migrate({"apply"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  expect_doubled_once();
}

TEST_F(SqliteBackfillTest, AnEmptyTableIsDoneAtOnce) {
  write_sql(ws.database(), "DELETE FROM t;");
  ws.write_migration("V2__double.up.sql",
                     "-- migrate:backfill batch-size=10\n"
                     "UPDATE t SET v = v * 2 WHERE id > :batch_start AND id <= :batch_end;\n");
  CommandResult r = migrate({"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("SELECT success FROM migrate_history WHERE version = '2'"), "1");
  EXPECT_EQ(count("SELECT count(*) FROM hits"), "0");
}

TEST_F(SqliteBackfillTest, AnAmbiguousColumnNeedsTheTableNamed) {
  write_sql(ws.database(), "CREATE TABLE t_new (id INTEGER PRIMARY KEY, v INTEGER);");
  const std::string insert =
      "INSERT INTO t_new (id, v) SELECT id, v FROM t WHERE id > :batch_start AND id <= "
      ":batch_end;\n";
  ws.write_migration("V2__copy.up.sql", "-- migrate:backfill\n" + insert);
  CommandResult r = migrate({"apply"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("key=<table>.<column>"), std::string::npos) << r.err;
  EXPECT_EQ(history_rows_of("2"), "0");

  ws.write_migration("V2__copy.up.sql", "-- migrate:backfill key=t.id\n" + insert);
  CommandResult named = migrate({"apply"});
  ASSERT_EQ(named.exit_code, 0) << named.out << named.err;
  EXPECT_EQ(count("SELECT count(*) FROM t_new n JOIN t o USING (id) WHERE n.v IS o.v"),
            std::to_string(kRows));
}

TEST_F(SqliteBackfillTest, InsertSelectThroughAnAliasCopiesEveryRow) {
  ws.write_migration("V2__copy.up.sql",
                     "-- migrate:backfill batch-size=700\n"
                     "CREATE TABLE t_new (id INTEGER PRIMARY KEY, v INTEGER);\n"
                     "INSERT INTO t_new (id, v) SELECT o.id, o.v + 1 FROM t o WHERE o.id > "
                     ":batch_start AND o.id <= :batch_end;\n");
  CommandResult r = migrate({"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM t_new"), std::to_string(kRows));
  EXPECT_EQ(count("SELECT count(*) FROM t_new n JOIN t o USING (id) WHERE n.v IS o.v + 1"),
            std::to_string(kRows));
  EXPECT_EQ(count("SELECT count(*) FROM hits"), "0");
}

TEST_F(SqliteBackfillTest, InsertSelectIntoAnExistingTableThroughAnAlias) {
  write_sql(ws.database(), "CREATE TABLE t_new (id INTEGER PRIMARY KEY, v INTEGER);");
  ws.write_migration("V2__copy.up.sql",
                     "-- migrate:backfill batch-size=700\n"
                     "INSERT INTO t_new (id, v) SELECT o.id, o.v FROM t AS o WHERE o.id > "
                     ":batch_start AND o.id <= :batch_end;\n");
  CommandResult r = migrate({"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM t_new n JOIN t o USING (id) WHERE n.v IS o.v"),
            std::to_string(kRows));
}

TEST_F(SqliteBackfillTest, AJoinIsBoundByTheTableItsAliasNames) {
  // Both tables have an id column; the alias says which one the batches walk.
  ws.write_migration("V2__copy.up.sql",
                     "-- migrate:backfill batch-size=900\n"
                     "CREATE TABLE t_new (id INTEGER PRIMARY KEY, v INTEGER);\n"
                     "INSERT INTO t_new (id, v) SELECT o.id, e.v FROM expected AS e JOIN \"t\" o "
                     "ON e.id = o.id WHERE o.id > :batch_start AND o.id <= :batch_end;\n");
  CommandResult r = migrate({"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM t_new n JOIN expected e USING (id) WHERE n.v IS e.v"),
            std::to_string(kRows));
}

TEST_F(SqliteBackfillTest, AnAliasedUpdateTarget) {
  ws.write_migration("V2__double.up.sql",
                     "-- migrate:backfill batch-size=1000\n"
                     "UPDATE t AS o SET v = o.v * 2 WHERE o.id > :batch_start AND o.id <= "
                     ":batch_end;\n");
  CommandResult r = migrate({"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_doubled_once();
}

TEST_F(SqliteBackfillTest, AStatementWithoutBoundsIsRefused) {
  ws.write_migration("V2__double.up.sql",
                     "-- migrate:backfill\n"
                     "CREATE TABLE marker (x INTEGER);\n"
                     "UPDATE t SET v = v * 2;\n");
  CommandResult r = migrate({"apply"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("SOURCE_INVALID"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":batch_start"), std::string::npos) << r.err;
  EXPECT_EQ(history_rows_of("2"), "0");
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_schema WHERE name = 'marker'"), "0");
  EXPECT_EQ(count("SELECT count(*) FROM hits"), "0");
}

TEST_F(SqliteBackfillTest, AKeyThatIsNotUniqueIsRefusedBeforeAnythingRuns) {
  ws.write_migration("V2__double.up.sql",
                     "-- migrate:backfill\n"
                     "CREATE TABLE marker (x INTEGER);\n"
                     "UPDATE t SET v = v * 2 WHERE grp > :batch_start AND grp <= :batch_end;\n");
  CommandResult r = migrate({"apply"});
  EXPECT_EQ(r.exit_code, 25) << r.out << r.err;
  EXPECT_NE(r.err.find("BACKFILL_NO_KEY"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("table t "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("grp"), std::string::npos) << r.err;
  EXPECT_EQ(history_rows_of("2"), "0");
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_schema WHERE name = 'marker'"), "0");
  EXPECT_EQ(count("SELECT count(*) FROM hits"), "0");
}

TEST_F(SqliteBackfillTest, PlaceholdersWithoutTheDirectiveAreRefused) {
  ws.write_migration("V2__double.up.sql",
                     "UPDATE t SET v = v * 2 WHERE id > :batch_start AND id <= :batch_end;\n");
  CommandResult r = migrate({"apply"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("SOURCE_INVALID"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("migrate:backfill"), std::string::npos) << r.err;
  EXPECT_EQ(history_rows_of("2"), "0");
  EXPECT_EQ(count("SELECT count(*) FROM hits"), "0");
}

TEST_F(SqliteBackfillTest, ACheckThatStillFindsRowsFailsTheMigration) {
  // v * 2 leaves every tenth row NULL: the check finds them.
  ws.write_migration("V2__double.up.sql",
                     "-- migrate:backfill batch-size=5000\n"
                     "-- migrate:backfill-check SELECT id FROM t WHERE v IS NULL\n"
                     "UPDATE t SET v = v * 2 WHERE id > :batch_start AND id <= :batch_end;\n");
  CommandResult r = migrate({"apply"});
  EXPECT_EQ(r.exit_code, 26) << r.out << r.err;
  EXPECT_NE(r.err.find("BACKFILL_INCOMPLETE"), std::string::npos) << r.err;
  EXPECT_EQ(count("SELECT group_concat(coalesce(success, 'NULL'), ',') FROM migrate_history "
                  "WHERE version = '2'"),
            "0");

  // Every batch committed before the check ran: each row was changed once.
  EXPECT_EQ(count("SELECT count(DISTINCT id) FROM hits"), std::to_string(kRows));

  // Once the rows the check finds are dealt with, a retry runs only the check: the backfill's
  // statement is done and is not run again.
  write_sql(ws.database(), "DELETE FROM hits; DELETE FROM t WHERE v IS NULL;");
  CommandResult fixed = migrate({"apply", "--retry-failed"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_EQ(count("SELECT count(*) FROM hits"), "0");
  EXPECT_EQ(count("SELECT count(*) FROM t JOIN expected e USING (id) WHERE t.v = e.v * 2"),
            std::to_string(kRows - kRows / 10));
}

}  // namespace
}  // namespace migrate
