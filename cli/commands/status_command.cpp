// `migrate status`: the per-version report shared with `validate`, so both print the same fields.
#include "cli/commands/status_command.hpp"

#include "cli/output_renderer.hpp"

namespace migrate::cli {

using nlohmann::json;

int finish_status_report(const CommandContext& ctx,
                         const Result<std::vector<VersionStatus>>& statuses,
                         const std::string& footer) {
  if (!statuses) return finish(ctx.inv, json::object(), statuses.error(), "");
  // Who holds the migration lock right now: a running apply/rollback and where it is.
  auto holders = ctx.migrator.lock_holders();
  if (!holders) return finish(ctx.inv, json::object(), holders.error(), "");
  // Only the form asked for is built: with thousands of versions either one costs.
  if (!ctx.inv.json_output)
    return finish(ctx.inv, json::object(), std::nullopt,
                  render_status_text(*statuses, *holders) + footer);
  json list = json::array();
  for (const auto& s : *statuses) list.push_back(to_json(s));
  json holder_list = json::array();
  for (const auto& h : *holders) holder_list.push_back(to_json(h));
  return finish(ctx.inv, {{"migrations", list}, {"lock_holders", holder_list}}, std::nullopt, "");
}

Command add_status_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("status", "show every version's state from the files and the history");
  return {.subcommand = cmd, .run = [](const CommandContext& ctx) {
            return finish_status_report(ctx, ctx.migrator.status(), "");
          }};
}

}  // namespace migrate::cli
