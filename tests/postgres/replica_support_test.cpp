// The streaming-replica harness of support/postgres_cluster.hpp, which the backfill engine's
// max-replica-lag wait is tested with: a replica's apply delay shows on the primary as
// pg_stat_replication.replay_lag, and without a delay the primary's writes reach the replica.
#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "support/postgres_cluster.hpp"
#include "support/postgres_test_database.hpp"

namespace migrate {
namespace {

using std::chrono::milliseconds;
using testing::PostgresCluster;

// Bounds the waits below; a healthy replica needs a few seconds, a loaded CI machine more.
constexpr auto kPatience = std::chrono::seconds(60);

// Skips (locally) or fails (CI) the test when a cluster could not start.
#define MIGRATE_REQUIRE_CLUSTER(cluster, why)                     \
  if (!(cluster)) {                                               \
    if (::migrate::testing::postgres_required()) FAIL() << (why); \
    GTEST_SKIP() << (why);                                        \
  }

class ReplicaSupportTest : public ::testing::Test {
 protected:
  // One primary for the suite (initdb is the slow part); each test streams its own replica.
  static void SetUpTestSuite() {
    primary_ = PostgresCluster::start(why_, {.allow_replication = true}).release();
  }
  static void TearDownTestSuite() {
    delete primary_;
    primary_ = nullptr;
  }

  static std::string one_value(pqxx::connection& c, const std::string& query) {
    pqxx::nontransaction q(c);
    auto r = q.exec(query);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
  }

  static PostgresCluster* primary_;
  static std::string why_;
};

PostgresCluster* ReplicaSupportTest::primary_ = nullptr;
std::string ReplicaSupportTest::why_;

TEST_F(ReplicaSupportTest, ApplyDelayShowsAsReplayLagOnThePrimary) {
  MIGRATE_REQUIRE_CLUSTER(primary_, why_);
  std::string why;
  auto replica = primary_->start_replica(why, milliseconds(2000));
  MIGRATE_REQUIRE_CLUSTER(replica, why);

  pqxx::connection primary(primary_->url("postgres"));
  one_value(primary, "CREATE TABLE lag_probe (id serial PRIMARY KEY, v text)");
  // replay_lag moves only when the replica replays a commit, so the primary keeps committing.
  double lag = 0;
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    one_value(primary, "INSERT INTO lag_probe (v) VALUES ('x')");
    seen =
        one_value(primary, "SELECT max(extract(epoch from replay_lag)) FROM pg_stat_replication");
    if (!seen.empty() && std::stod(seen) > 1.0) {
      lag = std::stod(seen);
      break;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_GT(lag, 1.0) << "replay_lag with a 2 s apply delay never went over 1 s; last seen: '"
                      << seen << "', pg_stat_replication: "
                      << one_value(primary,
                                   "SELECT string_agg(format('%s %s %s', application_name, state, "
                                   "replay_lag), '; ') FROM pg_stat_replication");
}

TEST_F(ReplicaSupportTest, WithoutDelayTheRowReachesTheReplica) {
  MIGRATE_REQUIRE_CLUSTER(primary_, why_);
  std::string why;
  auto replica = primary_->start_replica(why, milliseconds(0));
  MIGRATE_REQUIRE_CLUSTER(replica, why);

  pqxx::connection standby(replica->url("postgres"));
  EXPECT_EQ(one_value(standby, "SELECT pg_is_in_recovery()"), "t");
  pqxx::connection primary(primary_->url("postgres"));
  one_value(primary, "CREATE TABLE visibility_probe (id int PRIMARY KEY, v text)");
  one_value(primary, "INSERT INTO visibility_probe VALUES (1, 'from the primary')");

  std::string v;
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      v = one_value(standby, "SELECT v FROM visibility_probe WHERE id = 1");
    } catch (const pqxx::undefined_table&) {
      // The CREATE TABLE has not been replayed yet.
    }
    if (!v.empty()) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(v, "from the primary");
}

}  // namespace
}  // namespace migrate
