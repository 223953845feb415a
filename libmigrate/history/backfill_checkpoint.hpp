// A backfill's progress in the attempt's `checkpoint` column (history.md), written by every
// batch inside that batch's transaction, so it always says exactly what is committed:
//   {"backfill": {"statement": 2, "table": "\"public\".\"orders\"", "after": ["41000"],
//                 "rows": 40950, "batches": 41, "elapsed_ms": 8120, "rows_estimated": 500000,
//                 "finished": false}}
// `after` is the last key of the last committed batch (one value per key column; empty before
// the first). A killed run resumes at the batch after it: no row is changed twice or skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "migrate/history.hpp"

namespace migrate {

struct BackfillCheckpoint {
  int statement = 0;  // 1-based index of the backfill statement in its file
  std::string table;
  std::vector<std::string> after;
  std::int64_t rows = 0;
  std::int64_t batches = 0;
  std::int64_t elapsed_ms = 0;  // time spent in batches (pauses and waits included)
  std::optional<double> rows_estimated;
  bool finished = false;  // the last batch committed
};

// nullopt when the attempt's checkpoint is not a backfill's (or does not parse).
std::optional<BackfillCheckpoint> read_backfill_checkpoint(const Attempt& attempt);

std::string write_backfill_checkpoint(const BackfillCheckpoint& checkpoint);

// What `status` says of a backfill at this checkpoint: rate over the time spent, ETA from the
// estimate (migrate::backfill_status reads the attempt's checkpoint into this).
BackfillStatus backfill_status(const BackfillCheckpoint& checkpoint);

}  // namespace migrate
