// `migrate config`: prints the settings main.cpp resolved (flag > environment > migrate.toml >
// default) with their sources; secrets in URLs are redacted.
#include "cli/commands/config_command.hpp"

#include "cli/output_renderer.hpp"

namespace migrate::cli {

Command add_config_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("config", "show each effective setting and where it came from");
  return {
      .subcommand = cmd, .run = [](const CommandContext& ctx) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& s : ctx.settings)
          list.push_back({{"name", s.name}, {"value", printable_value(s)}, {"source", s.source}});
        return finish(ctx.inv, {{"settings", list}}, std::nullopt,
                      render_settings_text(ctx.settings));
      }};
}

}  // namespace migrate::cli
