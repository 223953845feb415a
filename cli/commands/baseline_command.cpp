// `migrate baseline --version V`: a project that already has its schema (and migrations another
// tool ran) records V and everything below it as applied, without running them; from there on,
// `apply` runs only what comes after (docs/adopting.md).
#include "cli/commands/baseline_command.hpp"

#include <fmt/format.h>

#include <memory>

#include "cli/output_renderer.hpp"

namespace migrate::cli {

namespace {

int run_baseline(const CommandContext& ctx, const std::string& version) {
  auto written = ctx.migrator.baseline(version);
  if (!written) return finish(ctx.inv, nlohmann::json::object(), written.error(), "");
  nlohmann::json rows = nlohmann::json::array();
  std::string text;
  for (const auto& a : *written) {
    nlohmann::json row = to_json(a);
    row["version"] = a.version;
    row["name"] = a.name;
    rows.push_back(std::move(row));
    text += fmt::format("  {} {}  baselined (checksum {})\n", a.version, a.name, a.checksum);
  }
  text = fmt::format("recorded {} migration(s) as applied without running them:\n{}",
                     written->size(), text) +
         "`migrate status` shows them as applied (baselined); `migrate apply` runs what comes "
         "after.\n";
  return finish(ctx.inv, {{"baselined", rows}}, std::nullopt, text);
}

}  // namespace

Command add_baseline_command(CLI::App& app) {
  auto version = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "baseline",
      "record --version V and every migration below it as applied without running them, for a "
      "database whose schema already has them");
  cmd->add_option("--version", *version, "the newest migration the database's schema already has")
      ->required();
  return {.subcommand = cmd,
          .run = [version](const CommandContext& ctx) { return run_baseline(ctx, *version); }};
}

}  // namespace migrate::cli
