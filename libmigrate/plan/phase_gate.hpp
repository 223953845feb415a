// Two-phase gating (docs/two-phase.md): where an apply plan stops before a contract migration,
// which contracts it refuses, and which rollbacks would cross from the contract phase back over
// an expand.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "libmigrate/plan/planner.hpp"

namespace migrate {

struct ApplyGate {
  std::size_t allowed = 0;  // how many of the candidate versions the plan may run
  std::optional<PhaseStop> stop;
  // The contracts among them, each runnable because its expand is applied by then (by an
  // earlier run, or earlier in this one under --phase all).
  std::set<std::string> contracts_with_expand_applied;
};

// `candidates` are the versions an apply would run, in order. The plan stops before the first
// contract it may not run: any contract under PhaseScope::kExpand, one whose expand was not
// applied by an earlier run under kContract. With `explicit_target` (the user asked for a version
// at or beyond it) that is refused instead (kPhaseOrder), since the run could not reach the
// target. kAll refuses a contract whose expand is neither applied nor part of the plan.
ApplyGate gate_apply(const PlanContext& ctx, const std::vector<const VersionStatus*>& candidates,
                     bool explicit_target);

// Refuses (kPhaseOrder) a rollback that reverts an expand migration while a contract completing
// it is applied, unless PhaseScope::kAll: the applied contract shows the deployed code relies on
// the expanded schema.
void refuse_rollback_across_phases(const PlanContext& ctx,
                                   const std::vector<const VersionStatus*>& reverted);

}  // namespace migrate
