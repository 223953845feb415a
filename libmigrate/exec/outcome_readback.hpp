// Finding out, from PostgreSQL's catalog, whether a statement that runs outside a transaction
// took effect, when the run that sent it died before recording its outcome (its attempt's
// checkpoint says "sent"). Only for statements whose recovery is read-back: CREATE INDEX
// CONCURRENTLY (named, or unnamed and found by its definition), DROP INDEX CONCURRENTLY and
// ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY.
#pragma once

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/exec/exec_policy.hpp"
#include "libmigrate/history/statement_checkpoint.hpp"
#include "migrate/plan.hpp"

namespace migrate {

enum class SentOutcome {
  kDone,     // it took effect (and is valid): record it done without running it
  kNotDone,  // it did not, or left an invalid index that was dropped: run it
};

// Throws kOutcomeUnknown when the catalog cannot tell (an unnamed index build, and the table
// gained indexes since, none of which matches the statement's definition); kConnectionLost and
// the backend's errors otherwise. A pending detach is finished (DETACH ... FINALIZE) and then
// counts as done; an INVALID index left by an unnamed build is dropped concurrently.
SentOutcome read_back_sent_statement(Backend& backend, const PlannedStatement& statement,
                                     const StatementCheckpoint& checkpoint,
                                     const StepSession& session, const ExecPolicy& policy);

// The index names on the table an unnamed CREATE INDEX CONCURRENTLY builds on, for the
// checkpoint written before it is sent; empty for any other statement.
std::vector<std::string> indexes_before_unnamed_build(Backend& backend,
                                                      const PlannedStatement& statement);

}  // namespace migrate
