// The options that change what the planner chooses: the Migrator fills it from Options.
#pragma once

#include <chrono>
#include <set>
#include <string>

#include "migrate/plan.hpp"
#include "migrate/source.hpp"

namespace migrate {

struct PlanPolicy {
  bool allow_out_of_order = false;
  // Retry versions whose newest attempt failed or was interrupted, instead of refusing.
  bool retry_failed = false;
  ForeignKeyMode sqlite_foreign_keys = ForeignKeyMode::kCheck;  // a directive wins
  // PostgreSQL backfills wait while a replica lags more than this (0: off); with the directive's
  // max-replica-lag too, the smaller of the two.
  std::chrono::milliseconds max_replica_lag{0};
  PhaseScope phase = PhaseScope::kExpand;  // two-phase gating (docs/two-phase.md)
  // Versions this invocation already applied before it reconnected (Options::reconnect): for
  // the gating they are applied by this run, not by an earlier one (no deploy happened since).
  std::set<std::string> applied_by_this_invocation;
  bool run_verification = true;  // apply steps carry their verify file's checks
};

}  // namespace migrate
