// How a run finds out what a statement that runs outside any transaction did, when the run that
// sent it died before recording its outcome (docs/operations.md).
#pragma once

namespace migrate {

enum class OutcomeRecovery {
  kRerun,     // running it again is harmless: VACUUM, ANALYZE, REINDEX, ALTER SYSTEM, PRAGMA
  kReadBack,  // the catalog tells: CREATE/DROP INDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY
  kUnknown,   // nothing tells (CREATE DATABASE...): the operator answers with `migrate resolve`
};

// "rerun", "read-back", "unknown".
const char* to_string(OutcomeRecovery r) noexcept;

}  // namespace migrate
