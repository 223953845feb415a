// What a run (Migrator::apply, rollback, ensure) reports while it goes (Observer) and when it ends
// (RunReport). Plain values and callbacks; the library fills the values.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "migrate/error.hpp"
#include "migrate/history.hpp"
#include "migrate/plan.hpp"

namespace migrate {

// How one step (one migration applied or reverted) of a run ended.
struct StepOutcome {
  std::string version;
  std::string name;
  StepKind kind = StepKind::kApply;
  bool success = false;
  std::int64_t execution_ms = 0;
  // Statements this run completed in the step (not those an earlier, resumed attempt completed).
  // After a failure: those before the failing one (rolled back with a transactional step).
  int statements_run = 0;
};

// What apply and rollback return: the steps that ran and, when the run stopped early, why. An
// error before the first step (a refusal, a connection failure) leaves `steps` empty.
struct RunReport {
  // Identifies the run in the history (Attempt::run_id); empty when the call failed before the
  // run started (e.g. it could not connect).
  std::string run_id;
  std::vector<StepOutcome> steps;  // in execution order, including a failed one last
  std::optional<Error> error;      // set when the run stopped early
  // apply: the plan stopped before a contract migration (--phase did not allow it); the run
  // itself succeeded.
  std::optional<PhaseStop> phase_stop;
  // The backup file written before the run's first change (Options::backup_dir); absent when no
  // backup was asked for or the plan had nothing to run.
  std::optional<std::string> backup;
};

// Where a backfill stands, after each committed batch (docs/backfills.md).
struct BackfillProgress {
  std::string version;
  int statement = 0;  // 1-based index in its file
  std::string table;
  std::int64_t rows_done = 0;  // rows the batches changed so far, earlier attempts included
  std::optional<double> rows_estimated;  // the table's rows, from the catalog
  std::int64_t batches = 0;
  std::int64_t batch_size = 0;  // of the next batch
  double rows_per_second = 0;
  std::optional<double> eta_seconds;  // from rows_estimated and the rate; unknown without both
  bool finished = false;              // the last batch committed
};

// Progress callbacks for apply, rollback and ensure (docs/embedding.md#observing-a-run). All are
// optional. They are called on the thread that called the Migrator, synchronously, while the
// run holds the migration lock and (inside a transactional step) an open transaction: keep them
// short, and do not call back into the Migrator that runs them. They must not throw: an
// exception from a callback (a bug in the caller) ends the run as if its process had died there
// and comes back as kInternal. A transactional step in progress is rolled back; a
// non-transactional one is left interrupted, which the next run resumes (or, for a statement whose
// outcome nothing can tell, asks for `migrate resolve`).
struct Observer {
  // Before a step (one migration applied or reverted) starts.
  std::function<void(const PlannedStep&)> before_step;
  // Before each statement is sent (a backfill: before its first batch).
  std::function<void(const PlannedStep&, const PlannedStatement&)> before_statement;
  // After each statement ran without error: its duration, rows and lock waits, as the history
  // records them. In a transactional step the statement commits with the step, so a later
  // failure in the same step still undoes it (after_step then says success = false), and a lock
  // timeout that retries the step's transaction reports its statements again.
  std::function<void(const PlannedStep&, const StatementRecord&)> after_statement;
  // After a step ends, successfully or not.
  std::function<void(const StepOutcome&)> after_step;
  // After each committed backfill batch.
  std::function<void(const BackfillProgress&)> backfill_progress;
};

}  // namespace migrate
