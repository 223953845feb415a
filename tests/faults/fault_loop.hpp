// The seeded kill loop: runs the real `migrate` binary, kills it with SIGKILL after a random
// delay, reruns it until it exits 0, and checks that the database converged (fault_scenario.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faults/fault_scenario.hpp"

namespace migrate::testing {

// The database a fault loop runs against.
class FaultDatabase {
 public:
  virtual ~FaultDatabase() = default;
  virtual FaultEngine engine() const = 0;
  // The --db value for migrate.
  virtual std::string url() const = 0;
  // Back to an empty database holding only an empty fault_log table.
  virtual void reset() = 0;
  virtual std::vector<std::string> rows(const std::string& sql) const = 0;
  // Waits for statements that killed runs left running on the server to end (PostgreSQL keeps
  // running a statement whose client died until it finishes); returns what is still running
  // after `limit`, empty when quiet.
  virtual std::string wait_until_quiet(std::chrono::seconds limit) = 0;
};

// A SQLite file in `dir`.
std::unique_ptr<FaultDatabase> make_sqlite_fault_database(const std::filesystem::path& dir);
// The PostgreSQL database named by the libpq connection string `url` (owned by the caller).
std::unique_ptr<FaultDatabase> make_postgres_fault_database(const std::string& url);

struct FaultLoopSettings {
  std::uint64_t seed = 0;
  int iterations = 1;
  int max_kills_per_phase = 3;
  // Plain reruns after the kills before a phase counts as wedged (a rerun may meet the lock of
  // a dying run, which is not a fault).
  int reruns = 3;
  std::vector<std::string> apply_args{"apply"};
  std::vector<std::string> rollback_args{"rollback", "--target", "0", "--yes"};
};

// MIGRATE_FAULT_SEED (default: random) and MIGRATE_FAULT_ITERATIONS (default:
// `default_iterations`).
FaultLoopSettings fault_loop_settings_from_environment(int default_iterations);

struct FaultTally {
  int iterations = 0;
  int kills = 0;
  int converged = 0;  // iterations whose apply and rollback both converged exactly
  int double_applies = 0;
  int skipped = 0;
  int unrecorded_changes = 0;
  int history_mismatches = 0;
  int wedged = 0;                         // phases that never exited 0 in the plain reruns
  std::map<std::string, int> exit_codes;  // "0", "9", ..., "killed"
  std::vector<std::string> failures;      // one line per divergence, with iteration and seed

  // One line: `FAULTS engine=... kind=... seed=... iterations=... kills=... converged=...
  // double_applies=... skipped=... unrecorded_changes=... history_mismatches=... wedged=...
  // exit_codes=0:12,9:3,killed:10` (bench/faults.sh parses it).
  std::string summary(const FaultScenario& scenario, std::uint64_t seed) const;
};

// Runs the loop. Before it, one clean apply and rollback time the runs (the kill delays are
// spread over that duration) and check the fixtures; a fixture that does not converge without
// faults throws std::runtime_error.
FaultTally run_fault_loop(const FaultScenario& scenario, FaultDatabase& database,
                          const FaultLoopSettings& settings);

// `migrate status --output json` and check_converged() on `database`.
std::vector<Divergence> check_database(const FaultScenario& scenario, FaultPhase phase,
                                       FaultDatabase& database,
                                       const std::filesystem::path& migrations);

// The arguments that point migrate at `database` and `migrations`, quiet logs.
std::vector<std::string> migrate_args(const FaultDatabase& database,
                                      const std::filesystem::path& migrations,
                                      const std::vector<std::string>& command);

}  // namespace migrate::testing
