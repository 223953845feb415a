// What the executor checks before the first step: sessions that would make the plan's
// statements queue (pre-flight), and statements an interrupted run left running on the server.
#pragma once

#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/exec/exec_policy.hpp"
#include "migrate/plan.hpp"

namespace migrate {

// Long transactions that hold or wait for locks on the plan's tables would make its statements
// queue (and everyone behind them): reports them, waits for them if policy.wait_for_quiet, and
// throws kBusy if they stay.
void preflight(Backend& backend, const Plan& plan, const ExecPolicy& policy);

// A killed run's lock connection closes at once, but a statement it had sent keeps running on
// its work connection until the server finishes it: resuming before then would run it twice.
// Waits up to policy.lock_wait for every interrupted version's sessions to end, then throws
// kRunInProgress naming them.
void wait_for_interrupted_statements(Backend& backend, const std::vector<VersionStatus>& statuses,
                                     const ExecPolicy& policy);

}  // namespace migrate
