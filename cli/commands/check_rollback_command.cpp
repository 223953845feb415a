// `migrate check-rollback [--all] [--scratch-db URL]`: the round-trip check for CI
// (docs/operations.md#the-round-trip-check). Exit code 30 (ROLLBACK_MISMATCH) when a down does not
// restore the schema its up started from.
#include "cli/commands/check_rollback_command.hpp"

#include <memory>

#include "cli/output_renderer.hpp"

namespace migrate::cli {

namespace {

int run_check_rollback(const CommandContext& ctx, const RollbackCheckOptions& check) {
  auto report = ctx.migrator.check_rollback(check);
  if (!report) return finish(ctx.inv, nlohmann::json::object(), report.error(), "");
  return finish(ctx.inv, to_json(*report), report->error, render_rollback_check_text(*report));
}

}  // namespace

Command add_check_rollback_command(CLI::App& app) {
  auto check = std::make_shared<RollbackCheckOptions>();
  auto* cmd = app.add_subcommand(
      "check-rollback",
      "on a scratch database (never the target), apply each pending migration up, down and up "
      "again, and report every down that does not restore the schema exactly (exit code 30)");
  cmd->add_flag("--all", check->all,
                "check every migration, from an empty scratch database, instead of the pending "
                "ones from a copy of the target's schema");
  cmd->add_option("--scratch-db", check->scratch_database_url,
                  "work in this (empty) database instead of a temporary one; it is kept");
  return {.subcommand = cmd,
          .run = [check](const CommandContext& ctx) { return run_check_rollback(ctx, *check); }};
}

}  // namespace migrate::cli
