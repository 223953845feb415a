// One run, start to end (DESIGN.md "A run, start to end"): take the run lock, read the history
// once under it (creating or upgrading the tables), plan from that state, gate on the analysis,
// pre-flight, then execute the steps in order, recording each. The state is never re-read: the
// run lock keeps every other libmigrate runner out until the run ends, and the executor's own
// writes are the only change. On SQLite, where a runner that ignores the run lock could still
// write, each step checks in its transaction that the history's newest row is the one this run
// knows.
#pragma once

#include <functional>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/exec/exec_policy.hpp"
#include "libmigrate/history/history_store.hpp"
#include "libmigrate/plan/analysis_gate.hpp"
#include "libmigrate/plan/planner.hpp"
#include "migrate/run.hpp"

namespace migrate {

struct RunRequest {
  const MigrationSet& source;
  HistoryTableName history;
  PlanPolicy plan_policy;
  ExecPolicy exec_policy;
  AnalysisPolicy analysis_policy;
  // apply: the apply preconditions (checksums, failed attempts...). Both apply and rollback
  // refuse transaction control and unsafe findings of their files (analysis_gate.hpp).
  bool validate_apply = false;
  std::function<Plan(const PlanContext&)> make_plan;
  // Called once, when the plan has steps to run, after the pre-flight and before the history is
  // created or upgraded and the first step starts: takes the backup (Options::backup_dir) and
  // returns its path, for RunReport::backup and every attempt of the run. A Failure it throws
  // refuses the run with nothing changed. Unset: no backup.
  std::function<std::string(Backend&, const Plan&)> backup;
};

// Runs what request.make_plan returns. Never throws: the report carries the error, and the
// outcome of a failed step as its last entry.
RunReport run_plan(Backend& backend, const RunRequest& request, const RunIdentity& identity,
                   const Observer& observer);

}  // namespace migrate
