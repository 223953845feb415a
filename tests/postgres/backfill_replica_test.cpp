// A backfill with max-replica-lag on a real streaming replica (pg_basebackup -R, with an apply
// delay so that its replay lag is known): while the replica lags more than the limit, not one
// batch commits; once it has caught up, the backfill runs to the end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "support/postgres_cluster.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using std::chrono::milliseconds;
using testing::MigrateProcess;
using testing::PostgresCluster;
using testing::TestWorkspace;

constexpr auto kPatience = std::chrono::seconds(60);

std::string one_value(pqxx::connection& c, const std::string& query) {
  pqxx::nontransaction q(c);
  auto r = q.exec(query);
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
}

TEST(PostgresBackfillReplica, NoBatchCommitsWhileAReplicaLagsMoreThanTheLimit) {
  std::string why;
  auto primary = PostgresCluster::start(why, {.allow_replication = true});
  if (!primary) {
    if (testing::postgres_required()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  auto replica = primary->start_replica(why, milliseconds(1500));
  if (!replica) {
    if (testing::postgres_required()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  primary->create_database("app");
  pqxx::connection db(primary->url("app"));
  one_value(db, "CREATE TABLE orders (id bigint PRIMARY KEY, status text)");
  one_value(db, "INSERT INTO orders SELECT g, NULL FROM generate_series(1, 3000) g");
  one_value(db, "CREATE TABLE heartbeat (id serial PRIMARY KEY, at timestamptz DEFAULT now())");
  one_value(db, "ANALYZE orders");

  // Commits on the primary keep the replica's replay lag at its apply delay (1.5 s).
  std::atomic<bool> stop_writing{false};
  std::thread writer([&] {
    pqxx::connection c(primary->url("app"));
    while (!stop_writing) {
      one_value(c, "INSERT INTO heartbeat DEFAULT VALUES");
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join{stop_writing, writer};
  std::string lag;
  for (auto deadline = std::chrono::steady_clock::now() + kPatience;
       std::chrono::steady_clock::now() < deadline;) {
    lag = one_value(db, "SELECT max(extract(epoch from replay_lag)) FROM pg_stat_replication");
    if (!lag.empty() && std::stod(lag) > 1.0) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_FALSE(lag.empty());
  ASSERT_GT(std::stod(lag), 1.0);

  TestWorkspace ws;
  ws.write_migration("V1__backfill_status.up.sql",
                     "-- migrate:backfill batch-size=500 pause=0ms\n"
                     "UPDATE orders SET status = 'new' WHERE status IS NULL;\n");
  MigrateProcess run({"--db", primary->url("app"), "--dir", ws.migrations().string(), "--log-level",
                      "info", "apply", "--max-replica-lag", "500ms"},
                     ws.root());
  // The replica lags 1.5 s for as long as the writer runs: the backfill must wait, not batch.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(one_value(db, "SELECT count(*) FROM orders WHERE status IS NOT NULL"), "0");
  EXPECT_FALSE(run.wait_for(milliseconds(0))) << run.result().err;

  // Writes stop, the replica catches up, its lag clears: the backfill goes on to the end.
  stop_writing = true;
  writer.join();
  ASSERT_TRUE(run.wait_for(std::chrono::duration_cast<milliseconds>(kPatience)));
  auto r = run.result();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("waits: a replica's replay lag is"), std::string::npos) << r.err;
  EXPECT_EQ(one_value(db, "SELECT count(*) FROM orders WHERE status IS DISTINCT FROM 'new'"), "0");
}

// PostgreSQL shows a replica's lag only to superusers and pg_monitor: for any other role the
// columns are NULL, which must not read as "no lag".
TEST(PostgresBackfillReplica, ARoleThatCannotSeeTheLagIsStoppedNotWaved) {
  std::string why;
  auto primary = PostgresCluster::start(why, {.allow_replication = true});
  if (!primary) {
    if (testing::postgres_required()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  auto replica = primary->start_replica(why, milliseconds(0));
  if (!replica) {
    if (testing::postgres_required()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  primary->create_database("app");
  pqxx::connection db(primary->url("app"));
  one_value(db, "CREATE ROLE app_owner LOGIN");
  one_value(db, "GRANT CREATE ON SCHEMA public TO app_owner");
  one_value(db, "CREATE TABLE orders (id bigint PRIMARY KEY, status text)");
  one_value(db, "ALTER TABLE orders OWNER TO app_owner");
  one_value(db, "INSERT INTO orders SELECT g, NULL FROM generate_series(1, 100) g");
  for (auto deadline = std::chrono::steady_clock::now() + kPatience;
       std::chrono::steady_clock::now() < deadline &&
       one_value(db, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") != "1";)
    std::this_thread::sleep_for(milliseconds(100));

  TestWorkspace ws;
  ws.write_migration("V1__backfill_status.up.sql",
                     "-- migrate:backfill max-replica-lag=1s\n"
                     "UPDATE orders SET status = 'new' WHERE status IS NULL;\n");
  MigrateProcess run(
      {"--db", primary->url("app") + " user=app_owner", "--dir", ws.migrations().string(), "apply"},
      ws.root());
  ASSERT_TRUE(run.wait_for(std::chrono::duration_cast<milliseconds>(kPatience)));
  auto r = run.result();
  EXPECT_EQ(r.exit_code, 21) << r.out << r.err;
  EXPECT_NE(r.err.find("GRANT pg_monitor"), std::string::npos) << r.err;
  EXPECT_EQ(one_value(db, "SELECT count(*) FROM orders WHERE status IS NOT NULL"), "0");
}

}  // namespace
}  // namespace migrate
