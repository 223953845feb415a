// `migrate verify`: the checks of each applied migration's verify file, run again now (they ran
// once when the migration was applied), one line per check; exit VERIFICATION_FAILED when one
// finds a problem, so a deploy script or a cron job can gate on it.
#include "cli/commands/verify_command.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>

namespace migrate::cli {

namespace {

using nlohmann::json;

json to_json(const VerificationCheck& c) {
  json rows = json::array();
  for (const auto& row : c.rows) {
    json values = json::array();
    for (const auto& v : row) values.push_back(v ? json(*v) : json(nullptr));
    rows.push_back(std::move(values));
  }
  return {{"index", c.index},        {"line", c.line},
          {"column", c.column},      {"sql", c.sql},
          {"passed", c.passed},      {"row_count", c.row_count},
          {"rows", std::move(rows)}, {"error", c.error.empty() ? json(nullptr) : json(c.error)}};
}

int run_verify(const CommandContext& ctx, const std::optional<std::string>& version) {
  auto report = ctx.migrator.verify(version);
  if (!report) return finish(ctx.inv, json::object(), report.error(), "");
  json migrations = json::array();
  std::string text;
  for (const auto& m : report->migrations) {
    json checks = json::array();
    for (const auto& c : m.checks) checks.push_back(to_json(c));
    migrations.push_back({{"version", m.version},
                          {"name", m.name},
                          {"file", m.file},
                          {"passed", m.passed()},
                          {"checks", std::move(checks)}});
    text += fmt::format("{} {}  {}\n", m.version, m.name, m.passed() ? "ok" : "FAILED");
    for (const auto& c : m.checks) {
      std::string outcome = c.passed          ? "ok"
                            : c.error.empty() ? fmt::format("returned {}", describe_rows(c))
                                              : fmt::format("failed: {}", c.error);
      text += fmt::format("  check {} (line {}): {}\n", c.index, c.line, outcome);
    }
  }
  if (!report->without_checks.empty())
    text +=
        fmt::format("{} applied migration(s) have no verify file\n", report->without_checks.size());
  if (report->migrations.empty()) text += "No applied migration has a verify file.\n";
  return finish(ctx.inv,
                {{"migrations", std::move(migrations)}, {"without_checks", report->without_checks}},
                report->error, text);
}

}  // namespace

Command add_verify_command(CLI::App& app) {
  auto version = std::make_shared<std::optional<std::string>>();
  auto* cmd = app.add_subcommand(
      "verify",
      "run the checks of applied migrations' verify files (V<version>__<name>.verify.sql) again, "
      "read-only, and report each; exit 32 (VERIFICATION_FAILED) when one finds a problem");
  cmd->add_option("--version", *version, "check this applied migration only");
  return {.subcommand = cmd,
          .run = [version](const CommandContext& ctx) { return run_verify(ctx, *version); }};
}

}  // namespace migrate::cli
