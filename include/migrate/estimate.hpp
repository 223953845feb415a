// Runtime and lock-hold estimates (docs/estimates.md): what `plan` shows for every statement,
// migration and plan, computed before anything runs from the catalog's statistics, this
// server's calibration (`migrate calibrate`) and the durations the history recorded on earlier
// runs. Plain values; the functions here are pure and safe to call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/analysis.hpp"

namespace migrate {

// How long something is expected to take, and the lock it holds meanwhile: filled by the planner
// for each statement, step and plan (plan.hpp). A field the inputs cannot support is absent (JSON
// null) and `basis` says why, e.g. "catalog never analyzed: ANALYZE orders for an estimate".
struct Estimate {
  std::optional<double> p50_ms;       // the median expectation
  std::optional<double> p90_ms;       // nine runs in ten take at most this long
  LockLevel lock = LockLevel::kNone;  // the strongest table lock held
  // How long that lock is held: a statement in a transaction holds its locks until the
  // transaction commits; a backfill holds its row locks for one batch at a time.
  std::optional<double> lock_ms;
  std::optional<double> rows;           // rows the work reads or writes
  std::string basis = "not estimated";  // the inputs, in words
  // Recorded beside the actual duration in the history, so later estimates learn from it: what
  // the time scales with ("rewrite", "index-build:fixed"...; empty when not modelled) and the
  // size it was scaled by (bytes or rows, as the work kind measures it).
  std::string work;
  std::optional<double> scale;
};

// One throughput `migrate calibrate` measured: `units` of `unit` ("bytes", "rows", "statements"
// or "batches") in `elapsed_ms`, of which `fixed_ms` does not grow with the size (fsyncing a
// rewrite's new files, catalog updates, a concurrent index build's waits): measured on two
// table sizes, it is what dominates small tables.
struct CalibrationRate {
  std::string operation;  // "seq-scan", "rewrite", "index-build:fixed", ... (docs/estimates.md)
  std::string unit;
  double units = 0;
  double elapsed_ms = 0;
  double fixed_ms = 0;
  // units per second of the part that grows with the size; 0 when nothing was measured.
  double per_second() const noexcept {
    return elapsed_ms > fixed_ms ? units * 1000.0 / (elapsed_ms - fixed_ms) : 0;
  }
};

// This server's measured throughputs, as stored in the history's database: returned by
// Migrator::calibrate and Migrator::calibration, read by the planner's estimates.
struct Calibration {
  std::string measured_at;  // ISO-8601 UTC
  std::string server;       // "PostgreSQL 15.4", "SQLite 3.40.1"
  std::vector<CalibrationRate> rates;
  // The rate of `operation`; nullptr when not measured. The pointer points into `rates`.
  const CalibrationRate* find(std::string_view operation) const noexcept {
    for (const auto& r : rates)
      if (r.operation == operation) return &r;
    return nullptr;
  }
};

// What Migrator::calibrate measures on.
struct CalibrateOptions {
  // Rows of the scratch table; 0 (or less): the default (500,000 on PostgreSQL, 200,000 on
  // SQLite), which takes about 15 s (PostgreSQL) and 2 s (SQLite) on a 2-core VM. A positive
  // value below 1,000 makes calibrate fail with kUsage.
  long long rows = 0;
};

// How estimates spell their numbers, in `basis` and in `plan`'s text: "1.2M" rows, "180 MB"
// (decimal units), "1.4 s". For display: the format may change between releases. Pure; safe to
// call from any thread.
std::string human_count(double n);
std::string human_bytes(double bytes);
std::string human_duration(double ms);

}  // namespace migrate
