// The start-up API on a real PostgreSQL (docs/embedding.md, docs/adopting.md): a replica that
// starts while another runs a long migration waits past Options::lock_wait and then starts with
// the schema, without applying anything again; an automatic-form backfill cancelled between
// batches resumes exactly; `baseline` records without running.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::TestWorkspace;

Options pg_options(const TestWorkspace& ws, const std::string& url) {
  Options o;
  o.database_url = url;
  o.migrations_dir = ws.migrations();
  return o;
}

TEST(PostgresStartup, ASecondReplicaWaitsOutALongMigrationPastLockWaitAndAppliesNothingTwice) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__slow.up.sql",
                     "CREATE TABLE slow (id bigint PRIMARY KEY);\nSELECT pg_sleep(2.5);\n");
  ws.write_migration("V2__after.up.sql", "CREATE TABLE after_slow (id bigint PRIMARY KEY);\n");
  Options o = pg_options(ws, db->url());
  o.lock_wait = std::chrono::milliseconds(500);  // plain apply would give up after 0.5 s

  std::atomic<bool> started{false};
  std::optional<Result<EnsureReport>> first;
  std::thread replica1([&] {
    Observer observer;
    observer.before_step = [&](const PlannedStep&) { started = true; };
    first = Migrator(o).ensure(EnsureOptions{}, observer);
  });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  RunReport plain = Migrator(o).apply(std::nullopt);
  ASSERT_TRUE(plain.error);
  EXPECT_EQ(plain.error->code, ErrorCode::kRunInProgress) << plain.error->describe();

  EnsureOptions wait_long;
  wait_long.timeout = std::chrono::seconds(60);
  auto second = Migrator(o).ensure(wait_long);
  replica1.join();
  ASSERT_TRUE(first && *first) << first->error().describe();
  EXPECT_EQ((*first)->run.steps.size(), 2u);
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_TRUE(second->run.steps.empty());
  EXPECT_EQ(second->version_after, "2");
  EXPECT_GT(second->waited.count(), 0);
  EXPECT_EQ(db->query("SELECT version || ':' || count(*) FROM migrate_history WHERE direction = "
                      "'up' GROUP BY version ORDER BY version"),
            (std::vector<std::string>{"1:1", "2:1"}));

  // A short bound: RUN_IN_PROGRESS naming the whole wait.
  ws.write_migration("V3__slow_again.up.sql", "SELECT pg_sleep(2);\n");
  std::atomic<bool> third_started{false};
  std::thread replica3([&] {
    Observer observer;
    observer.before_step = [&](const PlannedStep&) { third_started = true; };
    Migrator(o).ensure(EnsureOptions{}, observer);
  });
  while (!third_started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EnsureOptions short_wait;
  short_wait.timeout = std::chrono::milliseconds(600);
  auto gave_up = Migrator(o).ensure(short_wait);
  replica3.join();
  ASSERT_FALSE(gave_up);
  EXPECT_EQ(gave_up.error().code, ErrorCode::kRunInProgress) << gave_up.error().describe();
  EXPECT_NE(gave_up.error().message.find("apply-if-needed waited"), std::string::npos)
      << gave_up.error().message;
}

TEST(PostgresStartup, AnAutomaticBackfillCancelledBetweenBatchesResumesExactly) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__orders.up.sql",
                     "CREATE TABLE orders (id bigint PRIMARY KEY, status text);\n"
                     "INSERT INTO orders SELECT g, NULL FROM generate_series(1, 5000) g;\n");
  ws.write_migration("V2__backfill.up.sql",
                     "-- migrate:backfill batch-size=500 pause=0ms\n"
                     "UPDATE orders SET status = 'new' WHERE status IS NULL;\n");
  Options o = pg_options(ws, db->url());
  ASSERT_FALSE(Migrator(o).apply(std::string("1")).error);
  std::stop_source stop;
  Observer observer;
  observer.backfill_progress = [&](const BackfillProgress& p) {
    if (p.batches == 2) stop.request_stop();
  };
  RunReport cancelled = Migrator(o).apply(std::nullopt, observer, stop.get_token());
  ASSERT_TRUE(cancelled.error);
  EXPECT_EQ(cancelled.error->code, ErrorCode::kCancelled) << cancelled.error->describe();
  EXPECT_EQ(db->query("SELECT count(*) FROM orders WHERE status = 'new'"),
            std::vector<std::string>{"1000"});
  EXPECT_EQ(db->query("SELECT success::text || '|' || error_code FROM migrate_history WHERE "
                      "version = '2'"),
            std::vector<std::string>{"false|CANCELLED"});
  RunReport rest = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(rest.error) << rest.error->describe();
  EXPECT_EQ(db->query("SELECT count(*) FILTER (WHERE status = 'new'), count(*) FROM orders"),
            std::vector<std::string>{"5000|5000"});
}

TEST(PostgresStartup, BaselineRecordsTheExistingSchemaWithoutRunningIt) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__users.up.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n");
  ws.write_migration("V2__teams.up.sql", "CREATE TABLE teams (id bigint PRIMARY KEY);\n");
  ws.write_migration("V3__tags.up.sql", "CREATE TABLE tags (id bigint PRIMARY KEY);\n");
  db->query("CREATE TABLE users (id bigint PRIMARY KEY)");
  db->query("CREATE TABLE teams (id bigint PRIMARY KEY)");
  Migrator m(pg_options(ws, db->url()));
  auto written = m.baseline("2");
  ASSERT_TRUE(written) << written.error().describe();
  EXPECT_EQ(written->size(), 2u);
  EXPECT_EQ(db->query("SELECT version || '|' || success::text || '|' || error_code || '|' || "
                      "execution_ms FROM migrate_history WHERE direction = 'up' ORDER BY id"),
            (std::vector<std::string>{"1|true|BASELINE|0", "2|true|BASELINE|0"}));
  auto verify = m.ensure(EnsureMode::kVerifyOnly);
  ASSERT_FALSE(verify);
  EXPECT_EQ(verify.error().code, ErrorCode::kSchemaBehind);
  EXPECT_NE(verify.error().message.find("3 (tags)"), std::string::npos) << verify.error().message;
  auto applied = m.ensure(EnsureMode::kApplyIfNeeded);
  ASSERT_TRUE(applied) << applied.error().describe();
  ASSERT_EQ(applied->run.steps.size(), 1u);
  EXPECT_EQ(applied->run.steps[0].version, "3");
  EXPECT_EQ(applied->version_before, "2");
  auto refused = m.baseline("3");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUsage);
}

}  // namespace
}  // namespace migrate
