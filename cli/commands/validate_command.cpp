// `migrate validate`: the status report after the checks apply would make, with a closing line
// saying nothing would be refused.
#include "cli/commands/validate_command.hpp"

#include "cli/commands/status_command.hpp"

namespace migrate::cli {

Command add_validate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "validate", "check files and history: names, directives, checksums, order, failures");
  return {.subcommand = cmd, .run = [](const CommandContext& ctx) {
            return finish_status_report(
                ctx, ctx.migrator.validate(),
                "Valid: files and history agree; apply would not refuse.\n");
          }};
}

}  // namespace migrate::cli
