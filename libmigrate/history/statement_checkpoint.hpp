// The attempt's `checkpoint` column (history format 2): where an attempt stands inside the
// statement after the last one it completed. A JSON object, so later kinds of progress (a
// backfill's last key) add keys without a format change:
//   {"sent": 4}                                 statement 4 runs outside a transaction and was
//                                               sent; its outcome is not recorded yet
//   {"sent": 4, "indexes_before": ["t_pkey"]}   ...an unnamed CREATE INDEX CONCURRENTLY: the
//                                               table's indexes before it, so a retry can tell
//                                               the index it built from the ones that were there
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "migrate/history.hpp"

namespace migrate {

struct StatementCheckpoint {
  int sent = 0;  // 1-based statement index; 0: nothing in flight
  std::vector<std::string> indexes_before;
};

// nullopt when the attempt has no checkpoint, or one without a statement in flight. A checkpoint
// that does not parse (written by hand) counts as none.
std::optional<StatementCheckpoint> read_statement_checkpoint(const Attempt& attempt);

std::string write_statement_checkpoint(const StatementCheckpoint& checkpoint);

}  // namespace migrate
