// The options that change what the planner chooses: the Migrator fills it from Options.
#pragma once

#include "migrate/source.hpp"

namespace migrate {

struct PlanPolicy {
  bool allow_out_of_order = false;
  // Retry versions whose newest attempt failed or was interrupted, instead of refusing.
  bool retry_failed = false;
  ForeignKeyMode sqlite_foreign_keys = ForeignKeyMode::kCheck;  // a directive wins
};

}  // namespace migrate
