#include "libmigrate/estimate/runtime_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace migrate {
namespace {

// How a rate's time grows with the size of the work: linearly, or as a sort (n log n).
enum class Growth { kLinear, kSort };

// A measured (or assumed) data point: `units` of work took `elapsed_ms`, `fixed_ms` of it
// whatever the size.
struct RatePoint {
  double units = 0;
  double elapsed_ms = 0;
  Growth growth = Growth::kLinear;
  double fixed_ms = 0;
};

double growth_of(double units, Growth g) {
  units = std::max(units, 1.0);
  return g == Growth::kSort ? units * std::log2(std::max(units, 2.0)) : units;
}

double scaled_ms(const RatePoint& p, double units) {
  if (p.units <= 0 || p.elapsed_ms <= 0) return 0;
  const double fixed = std::clamp(p.fixed_ms, 0.0, p.elapsed_ms);
  return fixed + (p.elapsed_ms - fixed) * growth_of(units, p.growth) / growth_of(p.units, p.growth);
}

// What one more unit of work adds: the rate's slope, its fixed part left out.
double slope_ms(const RatePoint& p) {
  return (scaled_ms(p, 2e6) - scaled_ms(p, 1e6)) / 1e6;
}

// The documented defaults (docs/estimates.md), used until `migrate calibrate` ran: measured on a
// 2-core virtual machine with PostgreSQL 15 and SQLite 3.40, rounded.
struct DefaultRate {
  const char* operation;
  const char* unit;
  double units;
  double elapsed_ms;
};
constexpr DefaultRate kPostgresDefaults[] = {
    {"catalog-only", "statements", 1, 5},
    {"backfill-batch", "batches", 1, 5},
    {"seq-scan", "bytes", 100e6, 250},
    {"rewrite", "bytes", 100e6, 1600},
    {"index-build:fixed", "rows", 1e6, 1200},
    {"index-build:variable", "rows", 1e6, 3000},
    {"index-build-concurrently:fixed", "rows", 1e6, 2000},
    {"index-build-concurrently:variable", "rows", 1e6, 4500},
    {"index-build:presorted", "rows", 1e6, 700},
    {"index-build-concurrently:presorted", "rows", 1e6, 1200},
    {"validate-check", "bytes", 100e6, 350},
    {"set-not-null", "bytes", 100e6, 350},
    {"validate-foreign-key", "rows", 1e6, 2000},
    {"row-update", "rows", 1e6, 7000},
    {"batched-update", "rows", 1e6, 10000},
    {"index-maintenance", "rows", 1e6, 2000},
};
constexpr DefaultRate kSqliteDefaults[] = {
    {"catalog-only", "statements", 1, 1},     {"backfill-batch", "batches", 1, 1},
    {"seq-scan", "rows", 1e6, 200},           {"rewrite", "rows", 1e6, 2000},
    {"index-build:fixed", "rows", 1e6, 1000}, {"index-build:variable", "rows", 1e6, 2000},
    {"row-update", "rows", 1e6, 2000},        {"batched-update", "rows", 1e6, 3000},
};

Growth growth_of_operation(const std::string& operation) {
  return operation.starts_with("index-build") ? Growth::kSort : Growth::kLinear;
}

// Where a rate came from, best first.
enum class RateSource { kHistory, kCalibration, kDefault };

struct Rate {
  RatePoint point;
  RateSource source = RateSource::kDefault;
  double p90_factor = 3.0;  // p90 = p50 * this (history: from the samples' spread)
  int samples = 0;
  bool with_calibration = false;  // history weighed with the calibration (timed_work)
};

// The calibration's entry for `operation`, if any. A presorted build of a calibration from before
// those were measured takes the fixed-width key's entry: the higher rate, rather than a default
// from another machine.
const CalibrationRate* calibrated_rate(const std::string& operation, const EstimateInputs& inputs) {
  if (!inputs.calibration) return nullptr;
  const CalibrationRate* c = inputs.calibration->find(operation);
  constexpr std::string_view kPresorted = ":presorted";
  if (!c && operation.ends_with(kPresorted))
    c = inputs.calibration->find(operation.substr(0, operation.size() - kPresorted.size()) +
                                 ":fixed");
  return c;
}

// History samples of the same work at a similar size: the closest within 2x either way when
// there are any, else, when this work was never calibrated, within 8x. Sizes far apart are
// dominated by different costs (a table that fits in shared buffers or not, a sort that fits in
// maintenance_work_mem or not, fixed overhead): a calibrated rate, which has its fixed part
// apart, scales better than a run of a size several times smaller.
constexpr double kCloseSize = 2.0;
constexpr double kSimilarSize = 8.0;
constexpr std::size_t kMaxSamples = 20;

std::optional<Rate> history_rate(const std::string& work, double scale,
                                 const EstimateInputs& inputs) {
  const Growth g = growth_of_operation(work);
  // The calibrated fixed part of this work stays fixed; the samples teach the part that grows.
  double fixed = 0;
  bool calibrated = false;
  if (const CalibrationRate* c = calibrated_rate(work, inputs)) {
    fixed = c->fixed_ms;
    calibrated = c->units > 0 && c->elapsed_ms > 0;
  }
  std::vector<double> per_unit;  // ms per growth unit
  for (const double window : {kCloseSize, kSimilarSize}) {
    if (window == kSimilarSize && calibrated) break;
    for (const auto& s : inputs.samples) {
      if (s.work != work || !s.scale || *s.scale <= 0) continue;
      if (scale > 0 && (*s.scale > scale * window || *s.scale * window < scale)) continue;
      // duration_ms is whole milliseconds, cut off (a 6.9 ms statement records 6): the run
      // took d + 0.5 ms on average, which matters to the statements of a few milliseconds.
      const double took = static_cast<double>(std::max<std::int64_t>(s.duration_ms, 0)) + 0.5;
      per_unit.push_back(std::max(took - fixed, took / 10) / growth_of(*s.scale, g));
      if (per_unit.size() == kMaxSamples) break;
    }
    if (!per_unit.empty()) break;
  }
  if (per_unit.empty()) return std::nullopt;
  std::vector<double> sorted = per_unit;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  const double p90 = sorted[std::min(sorted.size() - 1, (sorted.size() * 9) / 10)];
  Rate r;
  // One unit of growth: scaled_ms(point, n) = fixed + median * growth(n).
  r.point = {1, fixed + median * growth_of(1, g), g, fixed};
  r.source = RateSource::kHistory;
  // The recorded spread, and never tighter than calibration's: one or two runs say little.
  r.p90_factor = std::max(1.5, p90 / median);
  r.samples = static_cast<int>(per_unit.size());
  return r;
}

Rate rate_for(const std::string& operation, double scale, const EstimateInputs& inputs,
              bool use_history) {
  if (use_history)
    if (auto h = history_rate(operation, scale, inputs)) return *h;
  const Growth g = growth_of_operation(operation);
  if (const CalibrationRate* c = calibrated_rate(operation, inputs))
    if (c->units > 0 && c->elapsed_ms > 0)
      return {{c->units, c->elapsed_ms, g, c->fixed_ms}, RateSource::kCalibration, 1.5, 0};
  if (inputs.dialect == Dialect::kSqlite) {
    for (const auto& d : kSqliteDefaults)
      if (operation == d.operation)
        return {{d.units, d.elapsed_ms, g, 0}, RateSource::kDefault, 3.0, 0};
  }
  for (const auto& d : kPostgresDefaults)
    if (operation == d.operation)
      return {{d.units, d.elapsed_ms, g, 0}, RateSource::kDefault, 3.0, 0};
  return {{1, 5, Growth::kLinear, 0}, RateSource::kDefault, 3.0, 0};
}

std::string source_words(const Rate& r, const EstimateInputs& inputs) {
  switch (r.source) {
    case RateSource::kHistory:
      return fmt::format("history: {} earlier run(s) of this work at a similar size{}", r.samples,
                         r.with_calibration
                             ? fmt::format(", weighed with the calibration of {}",
                                           inputs.calibration->measured_at.substr(0, 10))
                             : std::string());
    case RateSource::kCalibration:
      return fmt::format("calibrated {}", inputs.calibration->measured_at.substr(0, 10));
    case RateSource::kDefault:
      break;
  }
  return "default rates (no calibration: run `migrate calibrate`)";
}

LockLevel strongest_lock(const StatementAnalysis& a) {
  LockLevel l = LockLevel::kNone;
  for (const auto& rl : a.locks)
    if (static_cast<int>(rl.level) > static_cast<int>(l)) l = rl.level;
  return l;
}

// At or above this pg_stats.correlation for every key column the keys come almost in order from
// the table: PostgreSQL's sort checks for sorted input first and its quicksort finds the
// sorted stretches, so the index build sorts far less (about 0.6x the time, measured on 15).
constexpr double kPresortedCorrelation = 0.99;

std::optional<double> presorted_key(const StatementWork& w, const TableStatistics* t) {
  // Every key column: a constant first column has correlation 1 (ANALYZE breaks ties by the
  // row's place), and the sort then orders by the next one.
  if (!t || w.key_columns.empty()) return std::nullopt;
  double lowest = 1;
  for (std::string column : w.key_columns) {
    if (column.empty()) return std::nullopt;  // an expression
    std::transform(column.begin(), column.end(), column.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    auto it = t->column_correlation.find(column);
    if (it == t->column_correlation.end() || it->second < kPresortedCorrelation)
      return std::nullopt;
    lowest = std::min(lowest, it->second);
  }
  return lowest;
}

bool variable_width_key(const StatementWork& w, const TableStatistics* t) {
  for (const auto& c : w.key_columns) {
    if (c.empty()) return true;  // an expression
    if (!t) continue;
    std::string lower = c;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (auto it = t->column_variable_width.find(lower);
        it != t->column_variable_width.end() && it->second)
      return true;
  }
  return false;
}

// What every statement costs besides its work (round trips, the executor's session settings):
// the calibrated (or learned) catalog-only statement.
double statement_overhead_ms(const EstimateInputs& inputs) {
  const Rate r = rate_for("catalog-only", 1, inputs, true);
  return scaled_ms(r.point, 1);
}

// The backfill runner's walk (exec/backfill_runner.cpp), batch by batch: the first batch's size,
// adapting by x0.5..x2 toward the target time within [10, 100k] rows, each batch costing its
// fixed overhead plus its rows, and the pause after it.
double simulated_backfill_ms(const PlannedBackfill& b, double keys, double ms_per_key,
                             double batch_overhead_ms) {
  double size = static_cast<double>(std::max<std::int64_t>(b.batch_size, 1));
  const double min_size = std::min(10.0, size);
  const double max_size = std::max(100'000.0, size);
  const double target = static_cast<double>(b.target_batch_time.count());
  double remaining = std::max(keys, 0.0), total = 0;
  for (int i = 0; remaining > 0 && i < 10'000'000; ++i) {
    const double n = std::min(size, remaining);
    const double took = batch_overhead_ms + ms_per_key * n;
    total += took;
    remaining -= n;
    if (remaining <= 0) break;
    if (b.adaptive)
      size = std::clamp(std::round(size * std::clamp(target / std::max(took, 1.0), 0.5, 2.0)),
                        min_size, max_size);
    total += b.pause ? static_cast<double>(b.pause->count()) : std::floor(took / 50);
  }
  return total + batch_overhead_ms;  // the final pass that finds no key left
}

// What updating `touched` rows costs on top of the row-update and batched-update rates, which
// were measured on a table with one index: on PostgreSQL a row version that does not fit on its
// page (a freshly loaded or rewritten table) or changes an indexed column gets an entry in every
// index, so each index beyond the first adds the calibrated index-maintenance time (and a table
// without any index saves one). SQLite updates only the indexes of the changed columns in place:
// nothing is added there.
bool maintains_indexes(const TableStatistics* t, const EstimateInputs& inputs,
                       const std::string& statement_kind) {
  // A DELETE only marks the row versions dead: no index gets an entry.
  return inputs.dialect == Dialect::kPostgres && t && statement_kind != "DeleteStmt";
}

double index_maintenance_ms(double touched, const TableStatistics* t, const EstimateInputs& inputs,
                            const std::string& statement_kind) {
  if (!maintains_indexes(t, inputs, statement_kind)) return 0;
  const double beyond_first = static_cast<double>(t->index_variable_width.size()) - 1;
  if (beyond_first == 0) return 0;
  const Rate r = rate_for("index-maintenance", touched, inputs, false);
  return beyond_first * slope_ms(r.point) * touched;
}

// The basis's words for index_maintenance_ms: how many indexes each updated row enters.
std::string indexes_words(const TableStatistics* t, const EstimateInputs& inputs,
                          const std::string& statement_kind) {
  if (!maintains_indexes(t, inputs, statement_kind) || t->index_variable_width.size() == 1)
    return "";
  if (t->index_variable_width.empty()) return ", no index to update";
  return fmt::format(", each in {} indexes", t->index_variable_width.size());
}

// A rate learned from the history measured whole statements; the others measured the work alone.
double with_overhead(double ms, const Rate& r, const EstimateInputs& inputs) {
  return r.source == RateSource::kHistory ? ms : ms + statement_overhead_ms(inputs);
}

// The calibration counts as this many runs when it is weighed with the history: a single run's
// duration is as noisy as a single measurement, and a few runs soon outweigh it.
constexpr double kCalibrationWeight = 1.0;

// An estimate and the rate it came from.
struct TimedWork {
  double ms = 0;
  Rate rate;
};

// The time of `operation` at `scale`, `ms_of` turning a rate into this statement's time. From the
// history when it has runs of a similar size; when the work was also calibrated, the two are
// weighed, the history's runs each counting one and the calibration kCalibrationWeight, in the
// logarithm (a ratio too high and the same ratio too low weigh alike).
template <class MsOf>
TimedWork timed_work(const std::string& operation, double scale, const EstimateInputs& inputs,
                     MsOf ms_of) {
  const Rate model = rate_for(operation, scale, inputs, false);
  const std::optional<Rate> history = history_rate(operation, scale, inputs);
  if (!history) return {ms_of(model), model};
  TimedWork out{ms_of(*history), *history};
  if (model.source == RateSource::kCalibration) {
    const double runs = history->samples;
    const double model_ms = std::max(ms_of(model), 0.01);
    out.ms = std::exp(
        (runs * std::log(std::max(out.ms, 0.01)) + kCalibrationWeight * std::log(model_ms)) /
        (runs + kCalibrationWeight));
    out.rate.with_calibration = true;
  }
  return out;
}

void set_times(Estimate& e, double p50, double p90_factor) {
  e.p50_ms = std::max(p50, 0.0);
  e.p90_ms = std::max(p50 * p90_factor, 0.0);
  e.lock_ms = e.p50_ms;
}

}  // namespace

std::string human_count(double n) {
  if (n >= 1e9) return fmt::format("{:.1f}G", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.1f}M", n / 1e6);
  if (n >= 1e4) return fmt::format("{:.0f}k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

std::string human_bytes(double b) {
  if (b >= 1e9) return fmt::format("{:.1f} GB", b / 1e9);
  if (b >= 1e6) return fmt::format("{:.0f} MB", b / 1e6);
  if (b >= 1e3) return fmt::format("{:.0f} kB", b / 1e3);
  return fmt::format("{:.0f} B", b);
}

std::string human_duration(double ms) {
  if (ms >= 3'600'000) return fmt::format("{:.1f} h", ms / 3'600'000);
  if (ms >= 60'000) return fmt::format("{:.1f} min", ms / 60'000);
  if (ms >= 1'000) return fmt::format("{:.1f} s", ms / 1'000);
  return fmt::format("{:.0f} ms", ms);
}

Estimate estimate_statement(const StatementAnalysis& analysis, const StatementFacts& facts,
                            const EstimateInputs& inputs) {
  Estimate e;
  const StatementWork& w = analysis.work;
  e.lock = strongest_lock(analysis);
  const bool postgres = inputs.dialect == Dialect::kPostgres;
  const TableStatistics* t = facts.table;
  const std::string& name = facts.table_name.empty() ? w.table : facts.table_name;

  if (w.kind == WorkKind::kUnknown) {
    e.basis = fmt::format("no basis: the work of {} is not modelled", analysis.kind);
    return e;
  }
  auto catalog_only = [&](const std::string& why) {
    const Rate r = rate_for("catalog-only", 1, inputs, true);
    e.work = "catalog-only";
    e.scale = 1;
    e.rows = 0;
    set_times(e, scaled_ms(r.point, 1), r.p90_factor);
    e.basis = why + "; " + source_words(r, inputs);
  };
  if (w.kind == WorkKind::kCatalogOnly && !facts.backfill) {
    catalog_only("catalog only: no existing row read or rewritten");
    return e;
  }
  if (!t && !facts.backfill && !(w.kind == WorkKind::kDataChange && facts.planned_rows)) {
    if (w.table.empty() && w.kind == WorkKind::kDataChange) {
      e.basis = "no basis: the rows its query returns are unknown (EXPLAIN failed)";
      return e;
    }
    catalog_only(fmt::format("{}: not in the database yet (created by this plan), so empty", name));
    return e;
  }
  if (t && !t->unavailable.empty()) {
    e.basis = fmt::format("no basis: the catalog did not answer for {} ({})", name, t->unavailable);
    return e;
  }
  if (t && !t->rows && t->heap_bytes > 0) {
    e.basis = fmt::format("catalog never analyzed: ANALYZE {} for an estimate", name);
    return e;
  }
  const double rows = t && t->rows ? *t->rows : 0;
  const double bytes = t ? t->heap_bytes : 0;
  // Scans and rewrites scale with the table's bytes on PostgreSQL (what the disk reads and
  // writes); SQLite's catalog counts rows exactly and its pages are not split per table cheaply.
  const double volume = postgres ? bytes : rows;
  // SQLite's pages come from dbstat, which some builds lack: then the rows alone.
  const std::string size_words =
      !t ? name
      : t->heap_bytes > 0
          ? fmt::format("{}: {} rows, {}", name, human_count(rows), human_bytes(bytes))
          : fmt::format("{}: {} rows", name, human_count(rows));

  if (facts.backfill) {
    const PlannedBackfill& b = *facts.backfill;
    const double touched =
        facts.planned_rows ? *facts.planned_rows : b.rows_estimated.value_or(rows);
    const auto [ms, r] = timed_work("batched-update", touched, inputs, [&](const Rate& rate) {
      if (rate.source == RateSource::kHistory)
        return scaled_ms(rate.point, touched);  // learned from whole backfills: overheads included
      // The walk visits every key; only the matching rows are written.
      const double keys = std::max(rows, touched);
      // The rate's slope: its fixed part is per statement, and the walk's statements are batches.
      const double base = slope_ms(rate.point);
      const double per_row = std::max(
          base +
              (touched > 0 ? index_maintenance_ms(touched, t, inputs, analysis.kind) / touched : 0),
          base / 2);
      const double per_key = keys > 0 ? per_row * std::max(touched / keys, 0.05) : per_row;
      const Rate overhead = rate_for("backfill-batch", 1, inputs, false);
      return simulated_backfill_ms(b, keys, per_key, scaled_ms(overhead.point, 1));
    });
    const double batch_ms = static_cast<double>(b.target_batch_time.count());
    e.work = "batched-update";
    e.scale = touched;
    e.rows = touched;
    set_times(e, ms, r.p90_factor);
    e.lock = LockLevel::kRowExclusive;
    // Row locks last one batch; the table lock (ROW EXCLUSIVE) blocks no reader or writer.
    e.lock_ms = std::min(*e.p50_ms, batch_ms);
    e.basis = fmt::format(
        "{}; batched: {} rows touched{}{}, batches of about {}; {}", t ? size_words : name,
        human_count(touched), facts.planned_rows ? " (planner estimate)" : "",
        r.source == RateSource::kHistory ? "" : indexes_words(t, inputs, analysis.kind),
        human_duration(batch_ms), source_words(r, inputs));
    return e;
  }

  switch (w.kind) {
    case WorkKind::kRewrite: {
      const auto [ms, r] = timed_work("rewrite", volume, inputs, [&](const Rate& rate) {
        double took = scaled_ms(rate.point, volume);
        if (rate.source != RateSource::kHistory && t) {
          // A rewrite builds every index again, each a sort of the table's rows.
          for (bool variable : t->index_variable_width) {
            const Rate ir = rate_for(variable ? "index-build:variable" : "index-build:fixed", rows,
                                     inputs, false);
            took += scaled_ms(ir.point, rows);
          }
        }
        return with_overhead(took, rate, inputs);
      });
      std::string extra;
      if (r.source != RateSource::kHistory && t && !t->index_variable_width.empty())
        extra = fmt::format(" + {} index rebuild(s)", t->index_variable_width.size());
      e.work = "rewrite";
      e.scale = volume;
      e.rows = rows;
      set_times(e, ms, r.p90_factor);
      e.basis = fmt::format("{}, full rewrite{}; {}", size_words, extra, source_words(r, inputs));
      return e;
    }
    case WorkKind::kScan:
    case WorkKind::kForeignKeyScan: {
      std::string operation = "seq-scan";
      const std::string kind = w.constraint.empty() || !t ? std::string()
                               : t->constraint_kinds.count(w.constraint)
                                   ? t->constraint_kinds.at(w.constraint)
                                   : std::string();
      const bool foreign = w.kind == WorkKind::kForeignKeyScan || kind == "foreign key";
      if (postgres) {
        if (foreign)
          operation = "validate-foreign-key";
        else if (!w.constraint.empty())
          operation = "validate-check";  // VALIDATE CONSTRAINT, or ADD CONSTRAINT ... CHECK
        else if (analysis.kind == "AlterTableStmt")
          operation = "set-not-null";
      }
      const double units = operation == "validate-foreign-key" ? rows : volume;
      const auto [ms, r] = timed_work(operation, units, inputs, [&](const Rate& rate) {
        return with_overhead(scaled_ms(rate.point, units), rate, inputs);
      });
      e.work = operation;
      e.scale = units;
      e.rows = rows;
      set_times(e, ms, r.p90_factor);
      e.basis = fmt::format("{}, {}; {}", size_words,
                            operation == "validate-foreign-key"
                                ? "every row checked against the referenced table"
                                : "one full scan",
                            source_words(r, inputs));
      return e;
    }
    case WorkKind::kIndexBuild: {
      const bool variable = variable_width_key(w, t);
      // SQLite's statistics say nothing of the order: its builds are fixed or variable only.
      const std::optional<double> correlation =
          postgres && !variable ? presorted_key(w, t) : std::nullopt;
      const std::string operation = fmt::format(
          "{}:{}", w.concurrent && postgres ? "index-build-concurrently" : "index-build",
          variable      ? "variable"
          : correlation ? "presorted"
                        : "fixed");
      const auto [ms, r] = timed_work(operation, rows, inputs, [&](const Rate& rate) {
        return with_overhead(scaled_ms(rate.point, rows), rate, inputs);
      });
      e.work = operation;
      e.scale = rows;
      e.rows = rows;
      set_times(e, ms, r.p90_factor);
      e.basis = fmt::format(
          "{}, index build{} on a {} key{}; {}", size_words,
          w.concurrent && postgres ? " (concurrently: two scans)" : "",
          variable ? "variable-width" : "fixed-width",
          correlation ? fmt::format(" already in table order (correlation {:.2f})", *correlation)
                      : std::string(),
          source_words(r, inputs));
      return e;
    }
    case WorkKind::kDataChange: {
      const double touched = facts.planned_rows ? *facts.planned_rows : rows;
      const auto [ms, r] = timed_work("row-update", touched, inputs, [&](const Rate& rate) {
        double took = scaled_ms(rate.point, touched);
        if (rate.source != RateSource::kHistory)
          took = std::max(took + index_maintenance_ms(touched, t, inputs, analysis.kind), took / 2);
        return with_overhead(took, rate, inputs);
      });
      e.work = "row-update";
      e.scale = touched;
      e.rows = touched;
      set_times(e, ms, r.p90_factor);
      e.basis = fmt::format(
          "{}; {} rows touched ({}){}; {}", t ? size_words : std::string("query"),
          human_count(touched),
          facts.planned_rows ? "planner estimate" : "every row, an upper bound",
          r.source == RateSource::kHistory ? "" : indexes_words(t, inputs, analysis.kind),
          source_words(r, inputs));
      return e;
    }
    case WorkKind::kCatalogOnly:
    case WorkKind::kUnknown:
      break;
  }
  return e;
}

void total_estimates(Plan& plan) {
  Estimate total;
  total.p50_ms = 0;
  total.p90_ms = 0;
  total.rows = 0;
  std::string plan_unknown;
  for (auto& step : plan.steps) {
    Estimate& m = step.estimate;
    m = Estimate{};
    m.p50_ms = 0;
    m.p90_ms = 0;
    m.rows = 0;
    std::string unknown;
    const std::size_t n = step.statements.size();
    // A statement's locks are held until its transaction ends: to the end of the step when the
    // step is one transaction, else to the end of its group of non-standalone statements. One
    // backward pass of running sums, so a file of 100 000 statements costs 100 000 steps.
    double held = 0;
    bool held_known = true;
    for (std::size_t j = n; j-- > 0;) {
      PlannedStatement& st = step.statements[j];
      Estimate& e = st.estimate;
      const bool alone = st.standalone || st.backfill.has_value();
      if (alone && !step.transactional) {  // its own transaction: it ends the group before it
        held = 0;
        held_known = true;
        continue;
      }
      if (e.p50_ms)
        held += *e.p50_ms;
      else
        held_known = false;
      if (alone) continue;  // a backfill's row locks last one batch: its lock_ms stays
      if (e.p50_ms && held_known)
        e.lock_ms = held;
      else
        e.lock_ms.reset();
    }
    for (std::size_t i = 0; i < n; ++i) {
      PlannedStatement& st = step.statements[i];
      Estimate& e = st.estimate;
      if (e.p50_ms && m.p50_ms) {
        *m.p50_ms += *e.p50_ms;
        *m.p90_ms += *e.p90_ms;
      } else if (!e.p50_ms) {
        if (unknown.empty()) unknown = fmt::format("statement {}: {}", st.index, e.basis);
        m.p50_ms.reset();
        m.p90_ms.reset();
      }
      if (e.rows && m.rows) *m.rows += *e.rows;
      if (static_cast<int>(e.lock) > static_cast<int>(m.lock)) {
        m.lock = e.lock;
        m.lock_ms = e.lock_ms;
      } else if (e.lock == m.lock && e.lock_ms && m.lock_ms) {
        m.lock_ms = std::max(*m.lock_ms, *e.lock_ms);
      }
    }
    if (!unknown.empty()) {
      m.basis = "incomplete: " + unknown;
      m.rows.reset();
    } else {
      m.basis = fmt::format("{} statement(s)", n);
    }
    if (m.lock == LockLevel::kNone) m.lock_ms.reset();
    if (total.p50_ms && m.p50_ms) {
      *total.p50_ms += *m.p50_ms;
      *total.p90_ms += *m.p90_ms;
    } else {
      total.p50_ms.reset();
      total.p90_ms.reset();
      if (plan_unknown.empty()) plan_unknown = fmt::format("version {}: {}", step.version, m.basis);
    }
    if (total.rows && m.rows)
      *total.rows += *m.rows;
    else
      total.rows.reset();
    if (static_cast<int>(m.lock) > static_cast<int>(total.lock)) {
      total.lock = m.lock;
      total.lock_ms = m.lock_ms;
    } else if (m.lock == total.lock && m.lock_ms && total.lock_ms) {
      total.lock_ms = std::max(*total.lock_ms, *m.lock_ms);
    }
  }
  total.basis = plan_unknown.empty() ? fmt::format("{} migration(s)", plan.steps.size())
                                     : "incomplete: " + plan_unknown;
  if (total.lock == LockLevel::kNone) total.lock_ms.reset();
  plan.estimate = total;
}

}  // namespace migrate
