// `migrate validate`: the status report after the checks apply would make, with a closing line
// saying nothing would be refused, or the refusal apply would make (with its exit code).
#include "cli/commands/validate_command.hpp"

#include "cli/commands/status_command.hpp"
#include "cli/output_renderer.hpp"

namespace migrate::cli {

namespace {

int run_validate(const CommandContext& ctx) {
  auto validation = ctx.migrator.validate();
  if (!validation) return finish(ctx.inv, nlohmann::json::object(), validation.error(), "");
  if (!validation->refusal)
    return finish_status_report(ctx, std::move(validation->statuses),
                                "Valid: files and history agree; apply would not refuse.\n");
  // Apply would refuse after planning: the report, then the refusal in apply's own words.
  nlohmann::json list = nlohmann::json::array();
  if (ctx.inv.json_output)
    for (const auto& s : validation->statuses) list.push_back(to_json(s));
  return finish(ctx.inv, {{"migrations", list}}, validation->refusal,
                ctx.inv.json_output ? std::string()
                                    : render_status_text(validation->statuses, {}) +
                                          "Not valid: apply would refuse before running "
                                          "anything:\n");
}

}  // namespace

Command add_validate_command(CLI::App& app, MigratorFlags& migrator_flags) {
  auto* cmd = app.add_subcommand(
      "validate",
      "check files and history: names, directives, checksums, order, failures, and what apply "
      "would refuse before running (syntax, transaction control, unsafe findings)");
  cmd->add_flag("--allow-unsafe", migrator_flags.allow_unsafe,
                "as apply --allow-unsafe: unsuppressed error-level findings are not a refusal");
  return {.subcommand = cmd, .run = run_validate};
}

}  // namespace migrate::cli
