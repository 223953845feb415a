// The CREATE INDEX CONCURRENTLY protocol (PostgreSQL), above the backend so it is written once
// over plain queries: a failed concurrent build leaves an INVALID index behind, which must be
// dropped (concurrently, under lock_timeout) and rebuilt, and which IF NOT EXISTS would take for
// a finished index; after a build, pg_index.indisvalid says whether it really finished.
#pragma once

#include <optional>
#include <string>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/exec/exec_policy.hpp"

namespace migrate {

struct ConcurrentIndexBuild {
  std::string schema;      // as written or the table's schema; empty: current_schema()
  std::string index_name;  // never empty (unnamed builds are not checked)
  std::string table;
};

// Runs `sql`, a repair the protocol issues on behalf of `statement` (a concurrent drop of an
// INVALID index, DETACH ... FINALIZE), on its own outside any transaction, without a statement
// timeout and with the session's lock_timeout; its errors point at `statement`.
void run_repair_statement(Backend& backend, const SqlStatement& statement, std::string sql,
                          const StepSession& session);

// The named CREATE INDEX CONCURRENTLY `sql` builds; nullopt for any other statement.
std::optional<ConcurrentIndexBuild> concurrent_index_build(const std::string& sql);

// Before the build: drops an INVALID index of that name (left by an earlier failed build) with
// the session's lock_timeout. Returns true when a valid index of that name already exists on the
// same table (a build that completed before its process died): nothing left to do. Throws like
// Backend::execute (kLockTimeout is retried by the caller).
// Errors of the drop point at `statement`, the build it prepares.
bool prepare_concurrent_index(Backend& backend, const ConcurrentIndexBuild& idx,
                              const SqlStatement& statement, const StepSession& session,
                              const ExecPolicy& policy);

// After the build: throws kStatementFailed (INVALID_INDEX) when the index is not valid.
void check_concurrent_index(Backend& backend, const ConcurrentIndexBuild& idx,
                            const SqlStatement& statement, const StepSession& session);

}  // namespace migrate
