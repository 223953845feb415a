// How a run finds out what a statement that runs outside any transaction did, when the run that
// sent it died before recording its outcome (docs/operations.md).
#pragma once

namespace migrate {

// Set by the planner on each statement that runs outside any transaction
// (PlannedStatement::recovery).
enum class OutcomeRecovery {
  kRerun,     // running it again is harmless: VACUUM, ANALYZE, REINDEX, ALTER SYSTEM, PRAGMA
  kReadBack,  // the catalog tells: CREATE/DROP INDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY
  kUnknown,   // nothing tells (CREATE DATABASE...): the operator answers with `migrate resolve`
};

// "rerun", "read-back", "unknown". Returns a static string; safe to call from any thread.
const char* to_string(OutcomeRecovery r) noexcept;

}  // namespace migrate
