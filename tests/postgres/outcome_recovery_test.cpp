// Statements outside a transaction whose run died before recording them (issue 8): the outcome
// is read back from the catalog where it can be (concurrent index builds and drops), asked of
// the operator where it cannot (`migrate resolve`), and never assumed. And a lost connection is
// an interruption, not a failed migration.
#include <gtest/gtest.h>

#include <atomic>
#include <pqxx/pqxx>
#include <thread>

#include "libmigrate/history/progress_checksum.hpp"
#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;
using testing::TestWorkspace;

Options pg_options(const TestWorkspace& ws, const PostgresTestDatabase& db) {
  Options o = ws.options();
  o.database_url = db.url();
  o.lock_wait = std::chrono::milliseconds(30'000);
  return o;
}

// Turns the newest attempt of `version` back into what a run killed while statement `sent` ran
// leaves: no outcome, `completed` statements recorded, statement `sent` marked as sent.
// `done` are the statements completed, as the file has them (for the progress checksum).
void make_interrupted(const PostgresTestDatabase& db, const std::string& version, int completed,
                      const std::string& checkpoint, std::vector<std::string_view> done = {}) {
  db.execute(
      "UPDATE migrate_history SET success = NULL, finished_at = NULL, error_code = '', "
      "progress_checksum = '" +
      progress_checksum(done) + "', statement_index = " + std::to_string(completed) +
      ", checkpoint = '" + checkpoint +
      "' WHERE id = (SELECT max(id) FROM migrate_history WHERE version = '" + version + "')");
}

std::vector<std::string> indexes_on(const PostgresTestDatabase& db, const std::string& table) {
  return db.query(
      "SELECT c.relname || '|' || i.indisvalid FROM pg_index i JOIN pg_class c ON "
      "c.oid = i.indexrelid WHERE i.indrelid = '" +
      table + "'::regclass ORDER BY 1");
}

std::vector<std::string> history_of(const PostgresTestDatabase& db, const std::string& version) {
  return db.query(
      "SELECT direction || '|' || coalesce(success::text, 'NULL') || '|' || statement_index || "
      "'|' || coalesce(error_code, '') FROM migrate_history WHERE version = '" +
      version + "' ORDER BY id");
}

TEST(OutcomeRecovery, AnUnnamedConcurrentIndexTheKilledRunFinishedIsNotBuiltTwice) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql",
                     "CREATE TABLE t (a int, b int);\n"
                     "INSERT INTO t SELECT g, g FROM generate_series(1, 100) g;\n");
  ws.write_migration("V2__t_b.up.sql", "CREATE INDEX CONCURRENTLY ON t (b);\n");
  Options o = pg_options(ws, *db);
  o.allow_unsafe = true;
  ASSERT_FALSE(Migrator(o).apply(std::nullopt).error);
  ASSERT_EQ(indexes_on(*db, "t"), std::vector<std::string>{"t_b_idx|true"});

  // The orphaned build completed on the server; the run died before recording it.
  make_interrupted(*db, "2", 0, R"({"sent":1,"indexes_before":[]})");
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(indexes_on(*db, "t"), std::vector<std::string>{"t_b_idx|true"});
  EXPECT_EQ(history_of(*db, "2"),
            (std::vector<std::string>{"up|false|0|INTERRUPTED", "up|true|1|"}));
}

TEST(OutcomeRecovery, AnInvalidIndexLeftByAnUnnamedBuildIsDroppedAndBuiltOnce) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql",
                     "CREATE TABLE t (a int, b int);\n"
                     "INSERT INTO t SELECT g, g FROM generate_series(1, 100) g;\n");
  ws.write_migration("V2__t_b.up.sql", "CREATE UNIQUE INDEX CONCURRENTLY ON t (b);\n");
  Options o = pg_options(ws, *db);
  o.allow_unsafe = true;
  ASSERT_FALSE(Migrator(o).apply(std::nullopt).error);
  // What a build that died half-way leaves: an INVALID index under the default name.
  db->execute("DROP INDEX t_b_idx");
  db->execute("INSERT INTO t VALUES (101, 1)");
  EXPECT_ANY_THROW(db->execute("CREATE UNIQUE INDEX CONCURRENTLY ON t (b)"));
  db->execute("DELETE FROM t WHERE a = 101");
  ASSERT_EQ(indexes_on(*db, "t"), std::vector<std::string>{"t_b_idx|false"});
  make_interrupted(*db, "2", 0, R"({"sent":1,"indexes_before":[]})");

  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(indexes_on(*db, "t"), std::vector<std::string>{"t_b_idx|true"});
}

TEST(OutcomeRecovery, AnIndexThatCannotBeToldApartStopsWithOutcomeUnknownUntilResolved) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (a int, b int);\n");
  ws.write_migration("V2__t_b.up.sql", "CREATE INDEX CONCURRENTLY ON t (b);\n");
  Options o = pg_options(ws, *db);
  o.allow_unsafe = true;
  ASSERT_FALSE(Migrator(o).apply(std::nullopt).error);
  db->execute("DROP INDEX t_b_idx");
  db->execute("CREATE INDEX someone_elses ON t (a)");  // appeared meanwhile, another definition
  make_interrupted(*db, "2", 0, R"({"sent":1,"indexes_before":[]})");

  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kOutcomeUnknown) << r.error->describe();
  EXPECT_EQ(r.error->where.statement, 1);
  EXPECT_NE(r.error->message.find("someone_elses"), std::string::npos) << r.error->message;
  EXPECT_NE(r.error->hint.find("migrate resolve 2 --statement 1"), std::string::npos);
  for (bool retry : {false, true}) {  // until answered, no run decides it, and none writes
    Options again = o;
    again.retry_failed = retry;
    RunReport refused = Migrator(again).apply(std::nullopt);
    ASSERT_TRUE(refused.error);
    EXPECT_EQ(refused.error->code, ErrorCode::kOutcomeUnknown) << refused.error->describe();
  }
  EXPECT_EQ(indexes_on(*db, "t"), std::vector<std::string>{"someone_elses|true"});

  auto wrong = Migrator(o).resolve("2", 2, false);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kUsage);
  auto answered = Migrator(o).resolve("V2", 1, false);
  ASSERT_TRUE(answered) << answered.error().describe();
  EXPECT_EQ(answered->statement_index, 0);

  r = Migrator(o).apply(std::nullopt);  // no --retry-failed: the answer is recorded
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(indexes_on(*db, "t"), (std::vector<std::string>{"someone_elses|true", "t_b_idx|true"}));
  EXPECT_EQ(history_of(*db, "2"),
            (std::vector<std::string>{"up|false|0|INTERRUPTED", "up|false|0|OUTCOME_UNKNOWN",
                                      "up|false|0|RESOLVED", "up|true|1|"}));
}

TEST(OutcomeRecovery, ARollbackWhoseDropIndexConcurrentlyFinishedIsNotWedged) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (a int, b int);\n");
  ws.write_migration("V2__t_b.up.sql", "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_b ON t (b);\n");
  ws.write_migration("V2__t_b.down.sql", "DROP INDEX CONCURRENTLY t_b;\n");
  Options o = pg_options(ws, *db);
  ASSERT_FALSE(Migrator(o).apply(std::nullopt).error);
  // A rollback killed while its DROP INDEX CONCURRENTLY waited: the server finished the drop,
  // the history still says the rollback is running.
  ASSERT_FALSE(Migrator(o).rollback(RollbackTarget{std::string("1"), std::nullopt}).error);
  make_interrupted(*db, "2", 0, R"({"sent":1})");

  RunReport r = Migrator(o).rollback(RollbackTarget{std::string("1"), std::nullopt});
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_TRUE(indexes_on(*db, "t").empty());
  for (const auto& s : *Migrator(o).status())
    if (s.version == "2") {
      EXPECT_EQ(s.state, State::kPending);
    }
}

TEST(OutcomeRecovery, AStatementNothingCanReadBackIsNeverRunAgainOnItsOwn) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  const std::string extra = db->name() + "_extra";
  ws.write_migration("V1__log.up.sql", "CREATE TABLE log (id int);\n");
  ws.write_migration("V2__db.up.sql",
                     "-- migrate:transaction off\nINSERT INTO log VALUES (1);\n"
                     "CREATE DATABASE " +
                         extra + ";\nINSERT INTO log VALUES (2);\n");
  Options o = pg_options(ws, *db);
  o.allow_unsafe = true;
  ASSERT_FALSE(Migrator(o).apply(std::nullopt).error);
  db->execute("DELETE FROM log WHERE id = 2");
  make_interrupted(*db, "2", 1, R"({"sent":2})", {"INSERT INTO log VALUES (1);"});

  for (bool retry : {false, true}) {
    Options again = o;
    again.retry_failed = retry;
    RunReport r = Migrator(again).apply(std::nullopt);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, ErrorCode::kOutcomeUnknown) << r.error->describe();
    EXPECT_EQ(r.error->where.statement, 2);
    EXPECT_EQ(r.error->where.line, 3);
  }
  ASSERT_TRUE(Migrator(o).resolve("2", 2, true));
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(db->query("SELECT id FROM log ORDER BY id"), (std::vector<std::string>{"1", "2"}));
  pqxx::connection admin(db->url());
  pqxx::nontransaction(admin).exec("DROP DATABASE " + extra);
}

// Runs `body` while a thread terminates the migration's work session once it runs pg_sleep.
template <typename Body>
void terminate_during(const PostgresTestDatabase& db, const std::string& statement, Body&& body) {
  std::atomic<bool> done{false};
  std::thread killer([&] {
    pqxx::connection c(db.url());
    while (!done) {
      pqxx::nontransaction q(c);
      auto r = q.exec_params(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%' || $1 || "
          "'%' AND application_name LIKE 'migrate/%' AND pid <> pg_backend_pid() AND datname = "
          "current_database()",
          statement);
      if (!r.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  body();
  done = true;
  killer.join();
}

TEST(ConnectionLoss, ATerminatedBackendInterruptsTheStepAndTheNextApplyResumesIt) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\nSELECT pg_sleep(1.5);\n");
  ws.write_migration("V2__b.up.sql",
                     "-- migrate:transaction off\nINSERT INTO a VALUES (1);\n"
                     "SELECT pg_sleep(2);\nINSERT INTO a VALUES (2);\n");
  Options o = pg_options(ws, *db);
  RunReport r;
  terminate_during(*db, "pg_sleep(1.5)", [&] { r = Migrator(o).apply(std::nullopt); });
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kConnectionLost) << r.error->describe();
  EXPECT_TRUE(db->query("SELECT 1 FROM migrate_history WHERE success = false").empty())
      << "a lost connection is not a failed migration";

  terminate_during(*db, "pg_sleep(2)", [&] { r = Migrator(o).apply(std::nullopt); });
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kConnectionLost) << r.error->describe();

  r = Migrator(o).apply(std::nullopt);  // no --retry-failed
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(db->query("SELECT id FROM a ORDER BY id"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(history_of(*db, "2"),
            (std::vector<std::string>{"up|false|1|INTERRUPTED", "up|true|3|"}));
}

TEST(ConnectionLoss, WithAReconnectBudgetTheRunReconnectsAndFinishes) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  ws.write_migration("V2__b.up.sql",
                     "-- migrate:transaction off\nINSERT INTO a VALUES (1);\n"
                     "SELECT pg_sleep(2);\nINSERT INTO a VALUES (2);\n");
  Options o = pg_options(ws, *db);
  o.reconnect = std::chrono::milliseconds(30'000);
  RunReport r;
  terminate_during(*db, "pg_sleep(2)", [&] { r = Migrator(o).apply(std::nullopt); });
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(db->query("SELECT id FROM a ORDER BY id"), (std::vector<std::string>{"1", "2"}));
  for (const auto& s : *Migrator(o).status()) EXPECT_EQ(s.state, State::kApplied) << s.version;
}

}  // namespace
}  // namespace migrate
