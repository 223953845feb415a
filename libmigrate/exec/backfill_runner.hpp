// Runs one backfill statement (docs/backfills.md): a keyset walk over the table's key in short
// transactions. Each batch finds its last key, runs the statement bounded to the range after the
// previous batch's last key through its own, and commits together with the attempt's checkpoint
// (history/backfill_checkpoint.hpp): a run killed at any point resumes at the next batch, and no
// row is changed twice or skipped. The batch size adapts toward a target duration; between
// batches the runner pauses, and on PostgreSQL waits while a streaming replica lags.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/exec/exec_policy.hpp"
#include "libmigrate/history/history_store.hpp"
#include "migrate/run.hpp"

namespace migrate {

class BackfillRunner {
 public:
  // Runs `body` again after a lock timeout or deadlock, calling `undo` (which rolls back) before
  // each wait: the executor's retry policy.
  using Retry =
      std::function<void(const std::function<void()>& body, const std::function<void()>& undo)>;

  BackfillRunner(Backend& backend, HistoryStore& history, const ExecPolicy& policy,
                 const Observer& observer, Retry retry);

  struct Result {
    std::int64_t rows = 0;     // changed by this run's batches
    std::int64_t batches = 0;  // committed by this run
    std::string table;         // the table walked, as SQL
  };

  // Precondition: no transaction open; the run lock held. `batch` is the session of every batch
  // (its timeouts); `attempt` is the step's pending attempt, which each batch updates with its
  // checkpoint, and which holds the last committed checkpoint when this returns or throws.
  Result run(const PlannedStep& step, const PlannedStatement& statement, Attempt& attempt,
             const StepSession& batch);

 private:
  void wait_for_replicas(const PlannedStep& step, const PlannedBackfill& b);

  Backend& backend_;
  HistoryStore& history_;
  const ExecPolicy& policy_;
  const Observer& observer_;
  Retry retry_;
};

}  // namespace migrate
