// What a run reports while it goes (Observer) and when it ends (RunReport).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "migrate/error.hpp"
#include "migrate/plan.hpp"

namespace migrate {

struct StepOutcome {
  std::string version;
  std::string name;
  StepKind kind = StepKind::kApply;
  bool success = false;
  std::int64_t execution_ms = 0;
  int statements_run = 0;
};

struct RunReport {
  std::string run_id;
  std::vector<StepOutcome> steps;  // in execution order, including a failed one last
  std::optional<Error> error;      // set when the run stopped early
};

// Progress callbacks, called on the calling thread. All are optional. They must not call back
// into the Migrator that runs them.
struct Observer {
  std::function<void(const PlannedStep&)> before_step;
  std::function<void(const PlannedStep&, const PlannedStatement&)> before_statement;
  std::function<void(const StepOutcome&)> after_step;
};

}  // namespace migrate
