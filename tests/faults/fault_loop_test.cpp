// kill -9 at seeded random points of `apply` and `rollback --target 0`, on both engines, with
// transactional, `transaction off` and concurrent-index migrations: every rerun must converge to
// the fully applied (or fully reverted) state with an exact history.
//
// MIGRATE_FAULT_SEED reproduces a run's kill points (timing still varies); MIGRATE_FAULT_ITERATIONS
// overrides the small default that keeps each test under a minute (bench/faults.sh runs 1000).
#include <gtest/gtest.h>

#include <iostream>

#include "faults/fault_loop.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::FaultEngine;
using testing::FaultLoopSettings;
using testing::FaultScenario;
using testing::FaultTally;

void expect_every_iteration_converged(const FaultScenario& scenario,
                                      const FaultLoopSettings& settings, const FaultTally& tally) {
  std::cout << tally.summary(scenario, settings.seed) << std::endl;
  std::string failures;
  for (size_t i = 0; i < tally.failures.size() && i < 12; ++i)
    failures += "\n  " + tally.failures[i];
  if (tally.failures.size() > 12)
    failures += "\n  ... and " + std::to_string(tally.failures.size() - 12) + " more";
  EXPECT_EQ(tally.converged, tally.iterations)
      << tally.summary(scenario, settings.seed) << failures;
}

void run_sqlite(const std::string& kind, int default_iterations) {
  auto scenario = FaultScenario::load(FaultEngine::kSqlite, kind);
  auto settings = testing::fault_loop_settings_from_environment(default_iterations);
  std::cout << "seed " << settings.seed << " (MIGRATE_FAULT_SEED), " << settings.iterations
            << " iteration(s) (MIGRATE_FAULT_ITERATIONS)" << std::endl;
  testing::TestWorkspace ws;
  auto database = testing::make_sqlite_fault_database(ws.root());
  expect_every_iteration_converged(scenario, settings,
                                   testing::run_fault_loop(scenario, *database, settings));
}

void run_postgres(const std::string& kind, int default_iterations) {
  MIGRATE_REQUIRE_POSTGRES(pg);
  auto scenario = FaultScenario::load(FaultEngine::kPostgres, kind);
  auto settings = testing::fault_loop_settings_from_environment(default_iterations);
  // The fixtures build indexes on tables they create and drop what they created: findings the
  // analyzer may raise, and not what these tests are about.
  settings.apply_args.push_back("--allow-unsafe");
  std::cout << "seed " << settings.seed << " (MIGRATE_FAULT_SEED), " << settings.iterations
            << " iteration(s) (MIGRATE_FAULT_ITERATIONS)" << std::endl;
  auto database = testing::make_postgres_fault_database(pg->url());
  expect_every_iteration_converged(scenario, settings,
                                   testing::run_fault_loop(scenario, *database, settings));
}

TEST(FaultLoop, SqliteTransactional) {
  run_sqlite("transactional", 10);
}

TEST(FaultLoop, SqliteTransactionOff) {
  run_sqlite("transaction_off", 10);
}

TEST(FaultLoop, PostgresTransactional) {
  run_postgres("transactional", 5);
}

TEST(FaultLoop, PostgresTransactionOff) {
  run_postgres("transaction_off", 5);
}

TEST(FaultLoop, PostgresConcurrentIndex) {
  run_postgres("concurrent_index", 5);
}

}  // namespace
}  // namespace migrate
