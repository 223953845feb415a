// Runs the queries of a migration's verify file (PlannedStep::verify) on the backend's open
// transaction: for apply, inside the step (step_executor.cpp), and for Migrator::verify on an
// applied database.
#pragma once

#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "migrate/plan.hpp"
#include "migrate/verification.hpp"

namespace migrate {

// Runs one check and says whether it passed. A query error is caught and reported in
// VerificationCheck::error (the transaction it ran in is then aborted on PostgreSQL: the caller
// rolls back); a lost connection still throws Failure(kConnectionLost).
VerificationCheck run_verification_check(Backend& backend, const PlannedStatement& statement);

// Runs the step's checks in order and throws Failure(kVerificationFailed) at the first that
// fails, naming the verify file, the query (line:column) and the rows it returned.
void run_verification(Backend& backend, const PlannedStep& step);

}  // namespace migrate
