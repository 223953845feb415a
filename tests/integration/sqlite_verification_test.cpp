// Verify files (V<version>__<name>.verify.sql) on real SQLite files: checks that run inside the
// migration's transaction, failures recorded with the rows they returned, `Migrator::verify`
// running them again, the checksum covering them; and rolling back one named version.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::run_migrate;
using testing::schema_of;
using testing::TestWorkspace;

void write_orders(const TestWorkspace& ws) {
  ws.write_migration("V1__orders.up.sql",
                     "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL);\n"
                     "INSERT INTO orders (total) VALUES (10), (20);\n");
  ws.write_migration("V1__orders.down.sql", "DROP TABLE orders;\n");
}

TEST(SqliteVerificationTest, PassingChecksLetTheMigrationApply) {
  TestWorkspace ws;
  write_orders(ws);
  ws.write_migration("V1__orders.verify.sql",
                     "-- every order has a positive total\n"
                     "SELECT id, total FROM orders WHERE total <= 0;\n"
                     "SELECT count(*) = 2 FROM orders;\n");
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  auto verified = m.verify();
  ASSERT_TRUE(verified) << verified.error().describe();
  ASSERT_EQ(verified->migrations.size(), 1u);
  EXPECT_TRUE(verified->migrations[0].passed());
  EXPECT_EQ(verified->migrations[0].checks.size(), 2u);
  EXPECT_FALSE(verified->error);
}

TEST(SqliteVerificationTest, AFailingCheckRollsTheMigrationBackAndRecordsTheRows) {
  TestWorkspace ws;
  write_orders(ws);
  ws.write_migration("V1__orders.verify.sql",
                     "SELECT 1 WHERE 1 = 0;\n"
                     "SELECT total, id FROM orders WHERE total > 15;\n");
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kVerificationFailed) << r.error->describe();
  EXPECT_NE(r.error->message.find("check 2 of V1__orders.verify.sql (line 2)"), std::string::npos)
      << r.error->message;
  EXPECT_NE(r.error->message.find("1 row: ('20', '2')"), std::string::npos) << r.error->message;
  EXPECT_EQ(r.error->where.line, 2);
  EXPECT_NE(r.error->where.file.find("V1__orders.verify.sql"), std::string::npos);
  // Nothing of the migration is applied: the transaction was rolled back.
  EXPECT_TRUE(schema_of(ws.database()).empty());
  auto rows = query_sqlite(ws.database(),
                           "SELECT success, error_code, error_statement, error_message FROM "
                           "migrate_history WHERE direction = 'up'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].substr(0, rows[0].find("|", rows[0].find("|") + 1)), "0|VERIFICATION_FAILED");
  EXPECT_NE(rows[0].find("('20', '2')"), std::string::npos) << rows[0];
  auto status = m.status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->at(0).state, State::kFailed);
  EXPECT_NE(describe_stop(*status->at(0).last_attempt).find("failed verification"),
            std::string::npos);

  // The fix is in the check; the retry applies.
  ws.write_migration("V1__orders.verify.sql", "SELECT id FROM orders WHERE total > 25;\n");
  RunReport again = Migrator(ws.options(true)).apply(std::nullopt);
  ASSERT_FALSE(again.error) << again.error->describe();
}

TEST(SqliteVerificationTest, WithoutATransactionTheRetryRunsOnlyTheChecks) {
  TestWorkspace ws;
  ws.write_migration("V1__orders.up.sql",
                     "-- migrate:transaction off\n"
                     "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);\n"
                     "INSERT INTO orders (total) VALUES (NULL), (5);\n");
  ws.write_migration("V1__orders.verify.sql",
                     "SELECT 'no total' AS problem, id FROM orders WHERE total IS NULL;\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kVerificationFailed) << r.error->describe();
  EXPECT_NE(r.error->hint.find("runs only the checks again"), std::string::npos);
  // Its statements stay applied.
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM orders"),
            std::vector<std::string>{"2"});
  testing::execute_sqlite(ws.database(), "UPDATE orders SET total = 1 WHERE total IS NULL");
  RunReport retry = Migrator(ws.options(true)).apply(std::nullopt);
  ASSERT_FALSE(retry.error) << retry.error->describe();
  // The INSERT did not run again.
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM orders"),
            std::vector<std::string>{"2"});
}

TEST(SqliteVerificationTest, VerifyRunsTheChecksAgainAndAChangedCheckIsAModifiedMigration) {
  TestWorkspace ws;
  write_orders(ws);
  ws.write_migration("V1__orders.verify.sql", "SELECT id FROM orders WHERE total < 0;\n");
  ws.write_migration("V2__notes.up.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n");
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  testing::execute_sqlite(ws.database(), "UPDATE orders SET total = -1 WHERE id = 2");
  auto report = m.verify();
  ASSERT_TRUE(report) << report.error().describe();
  ASSERT_EQ(report->migrations.size(), 1u);
  EXPECT_FALSE(report->migrations[0].passed());
  ASSERT_EQ(report->migrations[0].checks.size(), 1u);
  EXPECT_EQ(report->migrations[0].checks[0].row_count, 1u);
  EXPECT_EQ(report->without_checks, std::vector<std::string>{"2"});
  ASSERT_TRUE(report->error);
  EXPECT_EQ(report->error->code, ErrorCode::kVerificationFailed);
  // Nothing was written: the history has only the two applies (and its init row).
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM migrate_history WHERE "
                         "direction <> 'init'"),
            std::vector<std::string>{"2"});

  auto cli = run_migrate({"verify", "--db", ws.database_url(), "--dir", ws.migrations().string()},
                         ws.root());
  EXPECT_EQ(cli.exit_code, 32) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("check 1 (line 1): returned 1 row: ('2')"), std::string::npos) << cli.out;
  EXPECT_NE(cli.err.find("VERIFICATION_FAILED"), std::string::npos) << cli.err;

  auto unknown = m.verify(std::string("7"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kTargetNotFound);

  // The verify file is part of the migration's checksum.
  ws.write_migration("V1__orders.verify.sql", "SELECT id FROM orders WHERE total < -5;\n");
  auto status = m.status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->at(0).state, State::kModified);
}

TEST(SqliteVerificationTest, AVerifyFileWithoutAnUpFileIsRefusedAtLoad) {
  TestWorkspace ws;
  ws.write_migration("V1__orders.verify.sql", "SELECT 1;\n");
  auto loaded = load_directory(ws.migrations());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kSourceInvalid);
  EXPECT_NE(loaded.error().describe().find("verify file without an up file"), std::string::npos)
      << loaded.error().describe();
}

TEST(SqliteVerificationTest, RollingBackOneVersionThatIsNotTheNewestNeedsAllowOutOfOrder) {
  TestWorkspace ws;
  for (int v = 1; v <= 3; ++v) {
    ws.write_migration(fmt::format("V{}__t{}.up.sql", v, v),
                       fmt::format("CREATE TABLE t{} (id INTEGER);\n", v));
    ws.write_migration(fmt::format("V{}__t{}.down.sql", v, v), fmt::format("DROP TABLE t{};\n", v));
  }
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  const auto schema = schema_of(ws.database());
  RunReport refused = m.rollback(RollbackTarget{std::nullopt, std::nullopt, std::string("V2")});
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, ErrorCode::kOutOfOrder);
  EXPECT_NE(refused.error->message.find("version 3 (t3)"), std::string::npos)
      << refused.error->message;
  EXPECT_NE(refused.error->hint.find("--target 1"), std::string::npos) << refused.error->hint;
  EXPECT_EQ(schema_of(ws.database()), schema);

  Options out_of_order = ws.options();
  out_of_order.allow_out_of_order = true;
  RunReport only = Migrator(out_of_order)
                       .rollback(RollbackTarget{std::nullopt, std::nullopt, std::string("V2")});
  ASSERT_FALSE(only.error) << only.error->describe();
  ASSERT_EQ(only.steps.size(), 1u);
  EXPECT_EQ(only.steps[0].version, "2");
  auto status = m.status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->at(0).state, State::kApplied);
  EXPECT_EQ(status->at(1).state, State::kOutOfOrder);
  EXPECT_EQ(status->at(2).state, State::kApplied);
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT name FROM sqlite_master WHERE name LIKE 't%' "
                         "ORDER BY name"),
            (std::vector<std::string>{"t1", "t3"}));

  // The newest one needs no confirmation of order; a bare rollback (the CLI's default) reverts it.
  auto bare = run_migrate(
      {"rollback", "--yes", "--db", ws.database_url(), "--dir", ws.migrations().string()},
      ws.root());
  EXPECT_EQ(bare.exit_code, 0) << bare.out << bare.err;
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT name FROM sqlite_master WHERE name LIKE 't%'"),
            std::vector<std::string>{"t1"});
  // --only of a version that is not applied.
  auto not_applied = run_migrate({"rollback", "--only", "3", "--yes", "--db", ws.database_url(),
                                  "--dir", ws.migrations().string()},
                                 ws.root());
  EXPECT_EQ(not_applied.exit_code, 24) << not_applied.out << not_applied.err;
}

// check-rollback's scratch database has the schema, not the rows: the checks (which may count
// rows) do not run there, and no backup of it is taken even when the options ask for backups.
TEST(SqliteVerificationTest, CheckRollbackNeitherRunsChecksNorBacksUpTheScratchDatabase) {
  TestWorkspace ws;
  write_orders(ws);
  ws.write_migration("V2__audit.up.sql", "CREATE TABLE audit (id INTEGER PRIMARY KEY);\n");
  ws.write_migration("V2__audit.down.sql", "DROP TABLE audit;\n");
  // True on the target (V1 inserted two orders), false on an empty copy of the schema.
  ws.write_migration("V2__audit.verify.sql", "SELECT count(*) = 2 FROM orders;\n");
  Options o = ws.options();
  o.backup_dir = ws.root() / "backups";
  ASSERT_FALSE(Migrator(o).apply(std::string("1")).error);
  std::filesystem::remove_all(ws.root() / "backups");
  auto checked = Migrator(o).check_rollback();
  ASSERT_TRUE(checked) << checked.error().describe();
  ASSERT_EQ(checked->migrations.size(), 1u);
  EXPECT_FALSE(checked->error) << checked->error->describe();
  EXPECT_FALSE(std::filesystem::exists(ws.root() / "backups"));
  // The target itself still runs it.
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
}

TEST(SqliteVerificationTest, ARollbackTargetWithMoreThanOneFieldIsAUsageError) {
  TestWorkspace ws;
  write_orders(ws);
  Migrator m(ws.options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  auto plan = m.plan_rollback(RollbackTarget{std::string("0"), 1, std::nullopt});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::kUsage);
  RunReport r = m.rollback(RollbackTarget{std::nullopt, 1, std::string("1")});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kUsage);
}

}  // namespace
}  // namespace migrate
