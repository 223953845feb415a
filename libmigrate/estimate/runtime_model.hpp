// The runtime model (docs/estimates.md): a statement's expected duration from what it does (the
// analyzer's StatementWork), the size of the table it works on (catalog statistics) and a rate
// for that kind of work, taken from, in order of preference, the durations the history recorded
// for the same work on this database at a similar size, this server's calibration, or
// documented defaults. Pure: no I/O, deterministic for the same inputs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "migrate/dialect.hpp"
#include "migrate/estimate.hpp"
#include "migrate/history.hpp"
#include "migrate/plan.hpp"

namespace migrate {

struct EstimateInputs {
  Dialect dialect = Dialect::kPostgres;
  std::optional<Calibration> calibration;
  std::vector<StatementRecord> samples;  // history records with work and scale, newest first
};

// What one statement needs besides its analysis.
struct StatementFacts {
  // The table's statistics; nullptr when the table does not exist in the database (created by
  // this plan, so empty when the statement runs) or the statement names none.
  const TableStatistics* table = nullptr;
  std::string table_name;              // as written, for the basis
  std::optional<double> planned_rows;  // rows a data change touches, from the planner (EXPLAIN)
  const PlannedBackfill* backfill = nullptr;
};

// The statement's estimate; lock_ms is its own duration (the caller extends it to the end of the
// transaction it runs in).
Estimate estimate_statement(const StatementAnalysis& analysis, const StatementFacts& facts,
                            const EstimateInputs& inputs);

// Fills each statement's lock_ms (locks are held to the end of the transaction), the step's
// total and the plan's total from the statements' estimates.
void total_estimates(Plan& plan);

}  // namespace migrate
