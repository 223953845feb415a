// Estimates for a plan (docs/estimates.md): the catalog's statistics of every table the plan's
// statements work on, the planner's row counts for data changes, and the history's calibration
// and past durations, through the runtime model.
#pragma once

#include <chrono>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/estimate/runtime_model.hpp"
#include "libmigrate/history/history_store.hpp"
#include "migrate/plan.hpp"

namespace migrate {

// The calibration and the past durations the history holds (nothing for a history older than
// format 3, or none at all).
EstimateInputs read_estimate_inputs(HistoryStore& history, Dialect dialect);

// Fills the estimate of every statement, step and of the plan. Reads the catalog only, each
// probe under `probe_lock_timeout`; a statement without its step's analysis gets "no basis".
void estimate_plan(Plan& plan, Backend& backend, const EstimateInputs& inputs,
                   std::chrono::milliseconds probe_lock_timeout);

}  // namespace migrate
