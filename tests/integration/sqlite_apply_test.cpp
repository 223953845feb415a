// Apply and failure behaviour on real SQLite files through the public Migrator API.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::schema_of;
using testing::TestWorkspace;

const VersionStatus& find(const std::vector<VersionStatus>& all, const std::string& v) {
  for (const auto& s : all)
    if (s.version == v) return s;
  throw std::runtime_error("no version " + v);
}

std::string history_rows(const TestWorkspace& ws) {
  std::string out;
  for (const auto& r :
       query_sqlite(ws.database(),
                    "SELECT version, direction, coalesce(success, 'NULL'), statement_index FROM "
                    "migrate_history WHERE direction <> 'init' ORDER BY id"))
    out += r + "\n";
  return out;
}

class SqliteApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws.write_migration("V001__users.up.sql",
                       "-- migrate:class additive\nCREATE TABLE users (id INTEGER PRIMARY KEY, "
                       "email TEXT NOT NULL);\n"
                       "INSERT INTO users (email) VALUES ('a@example.com');\n");
    ws.write_migration("V001__users.down.sql", "DROP TABLE users;\n");
    ws.write_migration(
        "V002__posts.up.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n");
    ws.write_migration("V002__posts.down.sql", "DROP TABLE posts;\n");
  }
  TestWorkspace ws;
};

TEST_F(SqliteApplyTest, AppliesEveryPendingMigrationAndRecordsOneSuccessfulAttemptEach) {
  Migrator m(ws.options());
  RunReport report = m.apply(std::nullopt);
  ASSERT_FALSE(report.error) << report.error->describe();
  ASSERT_EQ(report.steps.size(), 2u);
  EXPECT_EQ(history_rows(ws), "1|up|1|2\n2|up|1|1\n");
  auto status = m.status();
  ASSERT_TRUE(status);
  EXPECT_EQ(find(*status, "1").state, State::kApplied);
  EXPECT_EQ(find(*status, "2").state, State::kApplied);
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT email FROM users"),
            std::vector<std::string>{"a@example.com"});
  // Every row carries the format version, the checksum and who ran it.
  auto meta = query_sqlite(
      ws.database(),
      "SELECT history_format, checksum LIKE 'sha256:v1:%', length(run_id), installed_by <> '', "
      "tool_version FROM migrate_history WHERE version = '1'");
  EXPECT_EQ(meta, std::vector<std::string>{"4|1|36|1|0.1.0"});
  // A second apply has nothing to do.
  RunReport again = m.apply(std::nullopt);
  EXPECT_FALSE(again.error);
  EXPECT_TRUE(again.steps.empty());
}

TEST_F(SqliteApplyTest, TargetStopsAtTheGivenVersionWrittenEitherWay) {
  Migrator m(ws.options());
  RunReport report = m.apply(std::string("V001"));
  ASSERT_FALSE(report.error);
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(find(*m.status(), "2").state, State::kPending);
  RunReport unknown = m.apply(std::string("7"));
  ASSERT_TRUE(unknown.error);
  EXPECT_EQ(unknown.error->code, ErrorCode::kTargetNotFound);
}

TEST_F(SqliteApplyTest, FailureMidMigrationLeavesNothingHalfAppliedAndRecordsTheAttempt) {
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  auto before = schema_of(ws.database());
  ws.write_migration("V003__broken.up.sql",
                     "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n"
                     "INSERT INTO tags (name) VALUES ('x');\n"
                     "ALTER TABLE posts ADD COLUMN title TEXT;\n"
                     "UPDATE posts SET title = no_such_column;\n");
  ws.write_migration("V004__later.up.sql", "CREATE TABLE later (id INTEGER);\n");
  RunReport report = m.apply(std::nullopt);
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, ErrorCode::kStatementFailed);
  EXPECT_EQ(report.error->where.version, "3");
  EXPECT_EQ(report.error->where.statement, 4);
  EXPECT_EQ(report.error->where.line, 4);
  EXPECT_GT(report.error->where.column, 1);  // points into the statement, at the bad column
  EXPECT_NE(report.error->where.file.find("V003__broken.up.sql"), std::string::npos);
  EXPECT_NE(report.error->message.find("no_such_column"), std::string::npos);
  EXPECT_NE(report.error->hint.find("--retry-failed"), std::string::npos);
  // Nothing of V003 (nor V004) is in the schema; the history gained exactly one failed row.
  EXPECT_EQ(schema_of(ws.database()), before);
  EXPECT_EQ(history_rows(ws), "1|up|1|2\n2|up|1|1\n3|up|0|3\n");
  auto status = m.status();
  EXPECT_EQ(find(*status, "3").state, State::kFailed);
  EXPECT_EQ(find(*status, "4").state, State::kPending);

  // The failed attempt is not silently retried.
  RunReport refused = m.apply(std::nullopt);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, ErrorCode::kFailedMigration);
  EXPECT_NE(refused.error->message.find("statement 4"), std::string::npos);
  EXPECT_EQ(schema_of(ws.database()), before);

  // Fixed file + --retry-failed: applies V003 and V004.
  ws.write_migration("V003__broken.up.sql",
                     "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n"
                     "ALTER TABLE posts ADD COLUMN title TEXT;\n");
  Options retry = ws.options();
  retry.retry_failed = true;
  RunReport fixed = Migrator(retry).apply(std::nullopt);
  ASSERT_FALSE(fixed.error) << fixed.error->describe();
  EXPECT_EQ(find(*m.status(), "3").state, State::kApplied);
  EXPECT_EQ(find(*m.status(), "4").state, State::kApplied);
}

TEST_F(SqliteApplyTest, AMalformedStatementAnywhereInThePlanStopsTheRunBeforeAnythingRuns) {
  ws.write_migration("V003__unterminated.up.sql", "CREATE TABLE t (name TEXT DEFAULT 'oops);\n");
  Migrator m(ws.options());
  RunReport report = m.apply(std::nullopt);
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(report.error->where.line, 1);
  EXPECT_TRUE(report.steps.empty());
  EXPECT_TRUE(schema_of(ws.database()).empty());
}

TEST_F(SqliteApplyTest, RefusesChangedAppliedFileMissingFileAndOutOfOrderVersions) {
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);

  ws.write_migration("V001__users.up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
  RunReport changed = m.apply(std::nullopt);
  ASSERT_TRUE(changed.error);
  EXPECT_EQ(changed.error->code, ErrorCode::kChecksumMismatch);
  EXPECT_NE(changed.error->message.find("V001__users.up.sql"), std::string::npos);
  EXPECT_NE(changed.error->message.find("sha256:v1:"), std::string::npos);
  EXPECT_EQ(find(*m.status(), "1").state, State::kModified);
  ws.write_migration("V001__users.up.sql",
                     "-- migrate:class additive\nCREATE TABLE users (id INTEGER PRIMARY KEY, email "
                     "TEXT NOT NULL);\n"
                     "INSERT INTO users (email) VALUES ('a@example.com');\n");
  ASSERT_TRUE(m.validate());

  ws.remove_migration("V002__posts.up.sql");
  ws.remove_migration("V002__posts.down.sql");
  RunReport missing = m.apply(std::nullopt);
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->code, ErrorCode::kMissingFile);
  EXPECT_EQ(find(*m.status(), "2").state, State::kMissing);
  ws.write_migration(
      "V002__posts.up.sql",
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));\n");
  ws.write_migration("V002__posts.down.sql", "DROP TABLE posts;\n");

  ws.write_migration("V001.5__late_branch.up.sql", "CREATE TABLE late (id INTEGER);\n");
  RunReport late = m.apply(std::nullopt);
  ASSERT_TRUE(late.error);
  EXPECT_EQ(late.error->code, ErrorCode::kOutOfOrder);
  EXPECT_NE(late.error->message.find("1.5"), std::string::npos);
  EXPECT_NE(late.error->message.find("version 2 is already applied"), std::string::npos);
  EXPECT_EQ(find(*m.status(), "1.5").state, State::kOutOfOrder);
  Options allow = ws.options();
  allow.allow_out_of_order = true;
  ASSERT_FALSE(Migrator(allow).apply(std::nullopt).error);
  EXPECT_EQ(find(*m.status(), "1.5").state, State::kApplied);
}

TEST_F(SqliteApplyTest, LockTimeoutWhenAnotherConnectionHoldsTheWriteLock) {
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::string("1")).error);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(ws.database().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Options o = ws.options();
  o.lock_wait = std::chrono::milliseconds(200);
  RunReport blocked = Migrator(o).apply(std::nullopt);
  ASSERT_TRUE(blocked.error);
  EXPECT_EQ(blocked.error->code, ErrorCode::kLockTimeout);
  EXPECT_NE(blocked.error->message.find("200 ms"), std::string::npos);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ(find(*m.status(), "2").state, State::kPending);
  EXPECT_FALSE(Migrator(o).apply(std::nullopt).error);
}

// Concurrent runners: tests/postgres/backend_conformance_test.cpp, for both backends.

TEST_F(SqliteApplyTest, HistoryTableNameIsConfigurableAndQuoted) {
  Options o = ws.options();
  o.history_table = "schema \"history\" v1";
  ASSERT_FALSE(Migrator(o).apply(std::nullopt).error);
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM \"schema \"\"history\"\" v1\" WHERE success = 1 AND "
                         "direction = 'up'"),
            std::vector<std::string>{"2"});
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM sqlite_master WHERE name = 'migrate_history'"),
            std::vector<std::string>{"0"});
}

TEST_F(SqliteApplyTest, RefusesAHistoryTableOfANewerFormatOrForeignShape) {
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::string("1")).error);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(ws.database().c_str(), &db), SQLITE_OK);
  sqlite3_exec(
      db,
      "UPDATE migrate_history SET history_format = 99 WHERE id = 1; CREATE TABLE not_history (x);",
      nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto status = m.status();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kHistoryIncompatible);
  EXPECT_NE(status.error().message.find("99"), std::string::npos);
  RunReport run = m.apply(std::nullopt);
  ASSERT_TRUE(run.error);
  EXPECT_EQ(run.error->code, ErrorCode::kHistoryIncompatible);

  Options foreign = ws.options();
  foreign.history_table = "not_history";
  auto f = Migrator(foreign).status();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::kHistoryIncompatible);
}

// Nothing of the run happens: not V001 and V002 before it, and no history table either.
TEST_F(SqliteApplyTest, TransactionControlIsRefusedBeforeAnythingRuns) {
  ws.write_migration("V003__own_tx.up.sql",
                     "CREATE TABLE x (id INTEGER);\n  SAVEPOINT s1;\nCOMMIT;\n");
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kSourceInvalid) << r.error->describe();
  EXPECT_TRUE(r.steps.empty());
  EXPECT_NE(r.error->where.file.find("V003__own_tx.up.sql"), std::string::npos);
  EXPECT_EQ(r.error->where.version, "3");
  EXPECT_EQ(r.error->where.statement, 2);
  EXPECT_EQ(r.error->where.line, 2);
  EXPECT_EQ(r.error->where.column, 3);
  // Both statements are listed, each with its position.
  EXPECT_NE(r.error->message.find("2 transaction control statement(s)"), std::string::npos)
      << r.error->message;
  EXPECT_NE(r.error->message.find("V003__own_tx.up.sql:2:3: version 3, statement 2: SAVEPOINT s1;"),
            std::string::npos)
      << r.error->message;
  EXPECT_NE(r.error->message.find("V003__own_tx.up.sql:3:1: version 3, statement 3: COMMIT;"),
            std::string::npos);
  EXPECT_NE(r.error->hint.find("-- migrate:transaction off"), std::string::npos);
  EXPECT_EQ(schema_of(ws.database()), std::vector<std::string>{});
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM sqlite_master WHERE name = 'migrate_history'"),
            std::vector<std::string>{"0"});
  // plan and validate report the same refusal; plan still shows the steps.
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->steps.size(), 3u);
  ASSERT_TRUE(plan->refusal);
  EXPECT_EQ(plan->refusal->code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(plan->steps[2].statements[1].transaction_control);
  auto validation = m.validate();
  ASSERT_TRUE(validation);
  ASSERT_TRUE(validation->refusal);
  EXPECT_EQ(validation->refusal->message, r.error->message);
  // Once the file is fixed, the run needs no --retry-failed.
  ws.write_migration("V003__own_tx.up.sql", "CREATE TABLE x (id INTEGER);\n");
  RunReport fixed = m.apply(std::nullopt);
  ASSERT_FALSE(fixed.error) << fixed.error->describe();
  EXPECT_EQ(history_rows(ws), "1|up|1|2\n2|up|1|1\n3|up|1|1\n");
}

// SQLite's parser refuses it: found when the plan is made, before V001 and V002 run, with the
// token's line:column and SQLite's own message.
TEST_F(SqliteApplyTest, AStatementThatDoesNotParseIsRefusedBeforeAnythingRuns) {
  ws.write_migration("V003__broken.up.sql",
                     "CREATE TABLE x (id INTEGER);\nINSERT INTO x (id)\n  VALUES (1),;\n");
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kSourceInvalid) << r.error->describe();
  EXPECT_NE(r.error->where.file.find("V003__broken.up.sql"), std::string::npos);
  EXPECT_EQ(r.error->where.version, "3");
  EXPECT_EQ(r.error->where.statement, 2);
  EXPECT_EQ(r.error->where.line, 3);
  EXPECT_EQ(r.error->where.column, 14);  // the ';' SQLite stopped at
  EXPECT_NE(r.error->message.find("near \";\": syntax error"), std::string::npos)
      << r.error->message;
  EXPECT_EQ(schema_of(ws.database()), std::vector<std::string>{});
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM sqlite_master WHERE name = 'migrate_history'"),
            std::vector<std::string>{"0"});
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::kSourceInvalid);
  auto validation = m.validate();
  ASSERT_TRUE(validation);
  ASSERT_TRUE(validation->refusal);
  EXPECT_EQ(validation->refusal->where.line, 3);
}

// Tables that only the run's earlier migrations create are missing when the plan is made: that
// is no syntax error, and the run goes through.
TEST_F(SqliteApplyTest, StatementsOnTablesEarlierMigrationsCreateAreNotSyntaxErrors) {
  ws.write_migration("V003__posts_title.up.sql",
                     "ALTER TABLE posts ADD COLUMN title TEXT;\n"
                     "INSERT INTO posts (id, user_id, title) SELECT 1, id, email FROM users;\n"
                     "CREATE TRIGGER posts_touch AFTER UPDATE ON posts BEGIN\n"
                     "  UPDATE users SET email = email WHERE id = new.user_id;\nEND;\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT title FROM posts"),
            std::vector<std::string>{"a@example.com"});
}

// A finding apply refuses makes plan and validate say so, with apply's error.
TEST_F(SqliteApplyTest, PlanAndValidateCarryTheUnsafeRefusalApplyMakes) {
  ws.write_migration("V003__z.up.sql",
                     "-- migrate:allow sqlite-drop-column\nCREATE TABLE z (id INTEGER);\n");
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kUnsafeMigration);
  EXPECT_EQ(schema_of(ws.database()), std::vector<std::string>{});
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_TRUE(plan);
  ASSERT_TRUE(plan->refusal);
  EXPECT_EQ(plan->refusal->code, ErrorCode::kUnsafeMigration);
  EXPECT_EQ(plan->refusal->message, r.error->message);
  auto validation = m.validate();
  ASSERT_TRUE(validation);
  ASSERT_TRUE(validation->refusal);
  EXPECT_EQ(validation->refusal->code, ErrorCode::kUnsafeMigration);
  Options unsafe = ws.options();
  unsafe.allow_unsafe = true;
  EXPECT_FALSE(Migrator(unsafe).plan_apply(std::nullopt)->refusal);
  EXPECT_FALSE(Migrator(unsafe).validate()->refusal);
}

TEST_F(SqliteApplyTest, EmptyAndCommentOnlyMigrationsAreRecordedAsApplied) {
  ws.write_migration("V003__nothing.up.sql", "");
  ws.write_migration("V004__comments.up.sql",
                     "-- intentionally empty: the PostgreSQL twin does the work\n");
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  EXPECT_EQ(find(*m.status(), "3").state, State::kApplied);
  EXPECT_EQ(find(*m.status(), "4").state, State::kApplied);
}

TEST_F(SqliteApplyTest, StatusOnAMissingDatabaseCreatesNothing) {
  Migrator m(ws.options());
  auto status = m.status();
  ASSERT_TRUE(status);
  EXPECT_EQ(find(*status, "1").state, State::kPending);
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->steps.size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(ws.database()));
}

}  // namespace
}  // namespace migrate

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::schema_of;
using testing::TestWorkspace;

TEST(SqliteApplyExtraTest, DeferredForeignKeyViolationAtCommitIsAStatementFailure) {
  TestWorkspace ws;
  ws.write_migration(
      "V1__deferred.up.sql",
      "-- migrate:foreign-keys enforce\n"
      "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE c (id INTEGER, p_id INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);\n"
      "INSERT INTO c VALUES (1, 42);\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kStatementFailed);
  EXPECT_NE(r.error->message.find("commit failed"), std::string::npos);
  EXPECT_TRUE(schema_of(ws.database()).empty());
}

TEST(SqliteApplyExtraTest, AFailedTransactionalMigrationCanBeWithdrawnByDeletingItsFile) {
  TestWorkspace ws;
  ws.write_migration("V1__ok.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V2__bad.up.sql", "CREATE TABLE b (id INTEGER);\nSELECT nope;\n");
  Migrator m(ws.options());
  ASSERT_TRUE(m.apply(std::nullopt).error);
  ASSERT_EQ(m.apply(std::nullopt).error->code, ErrorCode::kFailedMigration);
  ws.remove_migration("V2__bad.up.sql");
  ws.write_migration("V3__good.up.sql", "CREATE TABLE c (id INTEGER);\n");
  RunReport r = m.apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  for (const auto& s : *m.status()) EXPECT_NE(s.version, "2");
}

TEST(SqliteApplyExtraTest, ABadDirectiveInADownFileIsFoundWhenFilesAreLoaded) {
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V1__a.down.sql", "-- migrate:transaction maybe\nDROP TABLE a;\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kSourceInvalid);
  EXPECT_NE(r.error->where.file.find("V1__a.down.sql"), std::string::npos);
  EXPECT_EQ(r.error->where.line, 1);
  EXPECT_FALSE(std::filesystem::exists(ws.database()) && !schema_of(ws.database()).empty());
}

TEST(SqliteApplyExtraTest, ProgressGoesToTheCallersLogSinkOnly) {
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  Options o = ws.options();
  std::vector<std::string> lines;
  o.log = [&lines](LogLevel, const std::string& message) { lines.push_back(message); };
  ASSERT_FALSE(Migrator(o).apply(std::nullopt).error);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "applying version 1 (a): 1 statement(s)");
  EXPECT_NE(lines[1].find("version 1 done in"), std::string::npos);
}

}  // namespace
}  // namespace migrate
