// The last checks between planning and running: every step gets its analysis, with facts from the
// live catalog (row estimates, server version, extensions), and `apply` and `rollback` refuse
// transaction control and unsuppressed error-level findings before anything runs.
#pragma once

#include <chrono>
#include <optional>

#include "libmigrate/backend/backend.hpp"
#include "migrate/log.hpp"
#include "migrate/plan.hpp"
#include "migrate/source.hpp"

namespace migrate {

struct AnalysisPolicy {
  bool allow_unsafe = false;
  // Catalog probes run under this lock_timeout (and a short statement_timeout): planning never
  // queues behind a lock longer than a statement of the plan would.
  std::chrono::milliseconds probe_lock_timeout{500};
  LogSink log;
  // Options::check_after: findings of steps at or below it are reported, never refused.
  std::optional<Version> check_after;
};

// Analysis options with what the live catalog says: server version, row estimates of
// `relations`, extensions, materialized views. `plan` and `lint --db` use the same facts.
AnalysisOptions catalog_analysis_options(Backend& backend,
                                         const std::vector<std::string>& relations,
                                         const AnalysisPolicy& policy);

// Runs the analyzer over every migration up to the plan's last step (earlier ones teach it what
// exists) and attaches each step's analysis: of the up file for an apply step, of the down file
// for a revert step. A failure of the analysis itself is logged, never fatal: the executor
// reports real errors with their location.
void analyze_plan(const MigrationSet& source, Plan& plan, Backend& backend,
                  const AnalysisPolicy& policy);

// Throws kUnsafeMigration listing every unsuppressed error-level finding of the plan, unless
// policy.allow_unsafe (then they are logged). Findings of steps (up or down) at or below
// policy.check_after are logged, never refused: history written before the project adopted
// libmigrate.
void refuse_unsafe(const Plan& plan, const AnalysisPolicy& policy);

// Throws kSourceInvalid naming every statement of the plan that controls transactions (BEGIN,
// COMMIT, SAVEPOINT...), with its file, version and line:column.
void refuse_transaction_control(const Plan& plan);

// Every refusal apply and rollback make between planning and running, in their order:
// transaction control, then unsafe findings. `plan` and `validate` report the same.
void refuse_before_running(const Plan& plan, const AnalysisPolicy& policy);

}  // namespace migrate
