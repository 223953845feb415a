// Scenario S3 (shared/SCENARIOS.md): materialized views and post-migration verification. The
// fixture sql_fixtures/scenarios/s3_verification gives each migration a verify file calling the
// runbook's `verify_migration_success()`; a migration that breaks what it checks (a materialized
// view without a unique index) must fail and leave nothing behind, and `migrate verify` must run
// the checks again later.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;
using testing::run_migrate;
using testing::TestWorkspace;

const std::filesystem::path kScenario =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/scenarios/s3_verification";

Options s3_options(const TestWorkspace& ws, const PostgresTestDatabase& db) {
  Options o;
  o.database_url = db.url();
  o.migrations_dir = ws.migrations();
  return o;
}

TEST(ScenarioS3, ChecksPassOnApplyAndAgainWithMigrateVerify) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.copy_migrations_from(kScenario);
  RunReport r = Migrator(s3_options(ws, *db)).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.steps.size(), 3u);

  auto verify = run_migrate(
      {"--db", db->url(), "--dir", ws.migrations().string(), "verify", "--output", "json"},
      ws.root());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  nlohmann::json j = nlohmann::json::parse(verify.out);
  ASSERT_EQ(j["migrations"].size(), 3u) << verify.out;
  EXPECT_EQ(j["migrations"][2]["checks"].size(), 3u);
  for (const auto& m : j["migrations"]) EXPECT_TRUE(m["passed"].get<bool>()) << m.dump();

  // A view added by hand, without a unique index, breaks what V002 and V003 check.
  db->execute("CREATE MATERIALIZED VIEW owners AS SELECT DISTINCT owner FROM accounts");
  auto again =
      run_migrate({"--db", db->url(), "--dir", ws.migrations().string(), "verify"}, ws.root());
  EXPECT_EQ(again.exit_code, 32) << again.out << again.err;
  EXPECT_NE(again.out.find("2 account_totals  FAILED"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("returned 1 row: ('f')"), std::string::npos) << again.out;
  EXPECT_NE(again.err.find("VERIFICATION_FAILED"), std::string::npos) << again.err;
  // verify changes nothing: no history row was added.
  EXPECT_EQ(db->query("SELECT count(*) FROM migrate_history WHERE direction <> 'init'"),
            std::vector<std::string>{"3"});
}

TEST(ScenarioS3, AMigrationThatBreaksItsCheckIsRolledBackAndRecordedWithTheRows) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.copy_migrations_from(kScenario);
  ws.write_migration("V004__owner_counts.up.sql",
                     "CREATE MATERIALIZED VIEW owner_counts AS\n"
                     "  SELECT owner, count(*) AS n FROM accounts GROUP BY owner;\n");
  ws.write_migration("V004__owner_counts.down.sql", "DROP MATERIALIZED VIEW owner_counts;\n");
  ws.write_migration("V004__owner_counts.verify.sql", "SELECT verify_migration_success();\n");
  Migrator m(s3_options(ws, *db));
  RunReport r = m.apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kVerificationFailed) << r.error->describe();
  EXPECT_EQ(r.error->where.version, "4");
  EXPECT_NE(r.error->message.find("check 1 of V004__owner_counts.verify.sql (line 1) returned 1 "
                                  "row: ('f')"),
            std::string::npos)
      << r.error->message;
  // The view was created in the migration's transaction, which was rolled back.
  EXPECT_EQ(db->query("SELECT to_regclass('owner_counts') IS NULL"), std::vector<std::string>{"t"});
  EXPECT_EQ(db->query("SELECT success, error_code, error_statement, statement_index FROM "
                      "migrate_history WHERE version = '4'"),
            std::vector<std::string>{"f|VERIFICATION_FAILED|0|1"});
  // The three before it stay applied.
  EXPECT_EQ(db->query("SELECT count(*) FROM migrate_history WHERE success AND direction = 'up'"),
            std::vector<std::string>{"3"});

  // A check that errors fails the migration too, naming the database's message.
  ws.write_migration("V004__owner_counts.verify.sql", "SELECT no_such_column FROM accounts;\n");
  Options retry = s3_options(ws, *db);
  retry.retry_failed = true;
  RunReport errored = Migrator(retry).apply(std::nullopt);
  ASSERT_TRUE(errored.error);
  EXPECT_EQ(errored.error->code, ErrorCode::kVerificationFailed) << errored.error->describe();
  EXPECT_NE(errored.error->message.find("failed: column \"no_such_column\" does not exist"),
            std::string::npos)
      << errored.error->message;
  EXPECT_EQ(errored.error->message.find("libmigrate's own statement"), std::string::npos);

  // The fix (a unique index) applies with --retry-failed.
  ws.write_migration("V004__owner_counts.up.sql",
                     "CREATE MATERIALIZED VIEW owner_counts AS\n"
                     "  SELECT owner, count(*) AS n FROM accounts GROUP BY owner;\n"
                     "CREATE UNIQUE INDEX owner_counts_owner ON owner_counts (owner);\n");
  ws.write_migration("V004__owner_counts.verify.sql", "SELECT verify_migration_success();\n");
  RunReport fixed = Migrator(retry).apply(std::nullopt);
  ASSERT_FALSE(fixed.error) << fixed.error->describe();
}

}  // namespace
}  // namespace migrate
