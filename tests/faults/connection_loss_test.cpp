// Connection loss in the middle of a statement, on a PostgreSQL cluster of the test's own: a
// server restart (`pg_ctl restart -m fast`) and a terminated backend (pg_terminate_backend from a
// second session), during a transactional and during a `transaction off` migration.
// The run must exit CONNECTION_LOST (18) and a plain rerun converge; with `--reconnect 30s` the
// run itself must reconnect, resume and converge.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "faults/fault_loop.hpp"
#include "support/postgres_cluster.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using std::chrono::milliseconds;
using testing::FaultEngine;
using testing::FaultPhase;
using testing::FaultScenario;
using testing::MigrateProcess;

enum class Cut { kRestart, kTerminate };
enum class Recovery { kRerun, kReconnect };

// Which statement is cut: the pg_sleep of the transactional V1 or of the `transaction off` V2.
constexpr const char* kInTransaction = "pg_sleep(1.01)";
constexpr const char* kTransactionOff = "pg_sleep(1.02)";

constexpr int kConnectionLostExit = 18;

class ConnectionLossTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = testing::PostgresCluster::start(why_).release(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void cut_during(const char* statement, Cut cut, Recovery recovery) {
    if (!cluster_) {
      if (testing::postgres_required()) FAIL() << why_;
      GTEST_SKIP() << why_;
    }
    std::string name = "faults_" + std::to_string(std::random_device{}() % 1000000000);
    cluster_->create_database(name);
    auto database = testing::make_postgres_fault_database(cluster_->url(name));
    database->reset();
    auto scenario = FaultScenario::load(FaultEngine::kPostgres, "connection_loss");
    testing::TestWorkspace ws;
    scenario.copy_migrations_to(ws.migrations());
    std::vector<std::string> command{"apply"};
    if (recovery == Recovery::kReconnect) command.insert(command.end(), {"--reconnect", "30s"});
    auto args = testing::migrate_args(*database, ws.migrations(), command);

    MigrateProcess run(args, ws.root());
    // Cut only once the statement is running on the server.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto active = database->rows(
          std::string("SELECT pid FROM pg_stat_activity WHERE state = 'active' AND pid <> "
                      "pg_backend_pid() AND query LIKE '%") +
          statement + "%'");
      if (!active.empty()) break;
      if (run.wait_for(milliseconds(10))) {
        auto r = run.result();
        FAIL() << "migrate exited " << r.exit_code << " before " << statement << " started:\n"
               << r.err;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << statement << " never started";
    }
    if (cut == Cut::kRestart) {
      cluster_->restart();
    } else {
      auto terminated = database->rows(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE "
          "'migrate/%migrations%' AND datname = current_database() AND "
          "pg_terminate_backend(pid)");
      ASSERT_EQ(terminated, std::vector<std::string>{"1"})
          << "expected to terminate exactly the run's migrations session";
    }
    if (!run.wait_for(milliseconds(90'000))) {
      run.kill_now();
      FAIL() << "migrate still running 90 s after the connection was cut";
    }
    auto first = run.result();
    if (recovery == Recovery::kRerun) {
      EXPECT_EQ(first.exit_code, kConnectionLostExit) << "expected CONNECTION_LOST; stderr:\n"
                                                      << first.err;
      EXPECT_NE(first.err.find("CONNECTION_LOST"), std::string::npos) << first.err;
      auto rerun = testing::run_migrate(args, ws.root());
      EXPECT_EQ(rerun.exit_code, 0) << "the plain rerun did not resume; stderr:\n" << rerun.err;
    } else {
      EXPECT_EQ(first.exit_code, 0) << "--reconnect 30s did not reconnect and resume; stderr:\n"
                                    << first.err;
    }
    std::string divergences;
    for (const auto& d :
         testing::check_database(scenario, FaultPhase::kApplied, *database, ws.migrations()))
      divergences += "\n  " + d.what;
    EXPECT_TRUE(divergences.empty()) << "not converged to the applied state:" << divergences;
  }

  static testing::PostgresCluster* cluster_;
  static std::string why_;
};

testing::PostgresCluster* ConnectionLossTest::cluster_ = nullptr;
std::string ConnectionLossTest::why_;

TEST_F(ConnectionLossTest, ServerRestartInTransactionThenRerun) {
  cut_during(kInTransaction, Cut::kRestart, Recovery::kRerun);
}

TEST_F(ConnectionLossTest, ServerRestartInTransactionOffThenRerun) {
  cut_during(kTransactionOff, Cut::kRestart, Recovery::kRerun);
}

TEST_F(ConnectionLossTest, TerminatedBackendInTransactionThenRerun) {
  cut_during(kInTransaction, Cut::kTerminate, Recovery::kRerun);
}

TEST_F(ConnectionLossTest, TerminatedBackendInTransactionOffThenRerun) {
  cut_during(kTransactionOff, Cut::kTerminate, Recovery::kRerun);
}

TEST_F(ConnectionLossTest, ServerRestartInTransactionWithReconnect) {
  cut_during(kInTransaction, Cut::kRestart, Recovery::kReconnect);
}

TEST_F(ConnectionLossTest, ServerRestartInTransactionOffWithReconnect) {
  cut_during(kTransactionOff, Cut::kRestart, Recovery::kReconnect);
}

TEST_F(ConnectionLossTest, TerminatedBackendInTransactionWithReconnect) {
  cut_during(kInTransaction, Cut::kTerminate, Recovery::kReconnect);
}

TEST_F(ConnectionLossTest, TerminatedBackendInTransactionOffWithReconnect) {
  cut_during(kTransactionOff, Cut::kTerminate, Recovery::kReconnect);
}

}  // namespace
}  // namespace migrate
