// `migrate calibrate [--rows N]`: measures scans, rewrites, index builds, validations and row
// updates on a scratch table (never a user table), stores the rates in the history's database
// for later plans' estimates, and prints them (docs/estimates.md).
#include "cli/commands/calibrate_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "cli/output_renderer.hpp"

namespace migrate::cli {

namespace {

struct CalibrateFlags {
  long long rows = 0;
};

std::string rate_text(const CalibrationRate& r) {
  const double per_second = r.per_second();
  if (r.unit == "bytes") return human_bytes(per_second) + "/s";
  if (r.unit == "rows") return human_count(per_second) + " rows/s";
  return fmt::format("{:.1f} ms per {}", r.elapsed_ms / std::max(r.units, 1.0),
                     r.unit == "batches" ? "batch" : "statement");
}

int run_calibrate(const CommandContext& ctx, const CalibrateFlags& flags) {
  auto measured = ctx.migrator.calibrate(CalibrateOptions{flags.rows});
  if (!measured) return finish(ctx.inv, nlohmann::json::object(), measured.error(), "");
  const Calibration& c = *measured;
  std::string text = fmt::format("Calibrated {} at {}; stored for the estimates of later plans:\n",
                                 c.server, c.measured_at);
  nlohmann::json rates = nlohmann::json::array();
  for (const auto& r : c.rates) {
    text += fmt::format("  {:<36} {:>20}   ({} in {})\n", r.operation, rate_text(r),
                        r.unit == "bytes" ? human_bytes(r.units)
                                          : fmt::format("{} {}", human_count(r.units), r.unit),
                        human_duration(r.elapsed_ms));
    rates.push_back({{"operation", r.operation},
                     {"unit", r.unit},
                     {"units", r.units},
                     {"elapsed_ms", r.elapsed_ms},
                     {"per_second", r.per_second()}});
  }
  return finish(
      ctx.inv,
      {{"calibration", {{"measured_at", c.measured_at}, {"server", c.server}, {"rates", rates}}}},
      std::nullopt, text);
}

}  // namespace

Command add_calibrate_command(CLI::App& app) {
  auto flags = std::make_shared<CalibrateFlags>();
  auto* cmd = app.add_subcommand(
      "calibrate",
      "measure this server's throughput on a scratch table (never a user table) and store it "
      "for the estimates of later plans");
  cmd->add_option("--rows", flags->rows,
                  "rows of the scratch table (default: 500000 on PostgreSQL, 200000 on SQLite, "
                  "about 15 s and 2 s of work on a 2-core VM)")
      ->check(CLI::Range(1000LL, 100'000'000LL));
  return {.subcommand = cmd,
          .run = [flags](const CommandContext& ctx) { return run_calibrate(ctx, *flags); }};
}

}  // namespace migrate::cli
